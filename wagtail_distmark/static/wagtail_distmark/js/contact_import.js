/**
 * The contact import's status and dry-run pages: ask the job's progress endpoint every few
 * seconds, move the <progress> bar and its live text, and reload the page once the import (or
 * its check) has finished, so the counts and the report link appear. Without JS the page
 * keeps its refresh link.
 */
(function () {
  'use strict';

  function start(root) {
    var url = root.getAttribute('data-import-progress-url');
    var delay = parseInt(root.getAttribute('data-import-poll-ms'), 10) || 1500;
    var bar = root.querySelector('progress');
    var text = root.querySelector('[data-import-progress-text]');
    var percentFormat = root.getAttribute('data-import-progress-format');
    var rowsFormat = root.getAttribute('data-import-rows-format');
    var lastText = text.textContent.trim();

    function describe(data) {
      var format = data.percent === null ? rowsFormat : percentFormat;
      return format
        .replace('{percent}', data.percent)
        .replace('{done}', data.processed_rows.toLocaleString())
        .replace('{total}', data.total_rows.toLocaleString());
    }

    function show(data) {
      if (data.percent === null) {
        bar.removeAttribute('value'); // indeterminate: the size is not known yet
        bar.textContent = '';
      } else {
        bar.value = data.percent;
        bar.textContent = data.percent + '%';
      }
      // Only when the figure moves: a live region re-announced every poll is noise.
      var description = describe(data);
      if (description !== lastText) {
        lastText = description;
        text.textContent = description;
      }
    }

    function poll() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) {
          show(data);
          if (data.finished) {
            window.location.reload();
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
    var root = document.querySelector('[data-import-progress-url]');
    if (root) { start(root); }
  });
})();
