/**
 * A send's page: ask its progress endpoint every two seconds while the send is not over, and
 * update the bar, the counts, the rate and the time left in place (no reload). The live text
 * (role="status", aria-live="polite") changes only when the figures move, so a screen reader
 * is not told the same thing every poll. Once the send is over, the action buttons and the refresh
 * line go (they no longer apply) and polling stops. Without JS the page keeps its refresh link.
 */
(function () {
  'use strict';

  function fill(format, values) {
    return format.replace(/\{(\w+)\}/g, function (match, name) {
      return name in values ? values[name] : match;
    });
  }

  function start(root) {
    var url = root.getAttribute('data-send-progress-url');
    var delay = parseInt(root.getAttribute('data-send-poll-ms'), 10) || 2000;
    var bar = root.querySelector('progress');
    var text = root.querySelector('[data-send-progress-text]');
    var state = root.querySelector('[data-send-state]');
    var reason = root.querySelector('[data-send-reason]');
    var rate = root.querySelector('[data-send-rate]');
    var left = root.querySelector('[data-send-left]');
    var formats = {
      progress: root.getAttribute('data-send-progress-format'),
      rate: root.getAttribute('data-send-rate-format'),
      left: root.getAttribute('data-send-left-format'),
    };
    var lastText = text.textContent.trim();

    function setText(element, value) {
      if (element && element.textContent !== value) { element.textContent = value; }
    }

    function show(data) {
      bar.value = data.percent;
      bar.textContent = data.percent + '%';
      setText(state, data.state_label);
      if (reason) {
        setText(reason, data.reason || '');
        reason.hidden = !data.reason;
      }
      var preparing = root.querySelector('[data-send-preparing]');
      if (preparing) { preparing.hidden = !data.preparing; }
      setText(rate, fill(formats.rate, { rate: data.rate.toLocaleString() }));
      setText(left, data.minutes_left === null ? '—'
        : fill(formats.left, { minutes: data.minutes_left.toLocaleString() }));
      Object.keys(data.counts).forEach(function (name) {
        setText(root.querySelector('[data-send-count="' + name + '"]'),
          data.counts[name].toLocaleString());
      });
      setText(root.querySelector('[data-send-count="total"]'), data.total.toLocaleString());
      var description = fill(formats.progress, {
        state: data.state_label,
        done: data.done.toLocaleString(),
        total: data.total.toLocaleString(),
        percent: data.percent,
      });
      if (description !== lastText) {
        lastText = description;
        text.textContent = description;
      }
    }

    function finished() {
      // The actions no longer apply, and the page no longer updates itself: both go.
      ['[data-send-actions]', '[data-send-refresh]'].forEach(function (selector) {
        var element = root.querySelector(selector);
        if (element) { element.hidden = true; }
      });
    }

    function poll() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) {
          show(data);
          if (data.final) {
            finished();
          } else {
            window.setTimeout(poll, delay);
          }
        })
        .catch(function () {
          // Stop polling and leave the page as it is: its refresh link still works.
        });
    }

    window.setTimeout(poll, delay);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var root = document.querySelector('[data-send-progress-url]');
    if (root) { start(root); }
  });
})();
