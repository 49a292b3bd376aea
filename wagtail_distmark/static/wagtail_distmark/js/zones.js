// The campaign editor's zones (ZonesPanel): Wagtail's block widgets, with three additions.
(() => {
  const blocks = window.wagtailStreamField && window.wagtailStreamField.blocks;
  if (!blocks || !blocks.StructBlockDefinition || !blocks.FieldBlockDefinition) return;

  // 1. Each editable zone is a block widget whose root is a StructBlock. Wagtail's block
  // widget expects its root block to expose `element` (StreamBlock and ListBlock do); a
  // StructBlock only has `container`. Give it one so the widget finishes connecting (and
  // dispatches its "ready" event) instead of failing on every page load.
  const structRender = blocks.StructBlockDefinition.prototype.render;
  blocks.StructBlockDefinition.prototype.render = function renderWithElement(...args) {
    const bound = structRender.apply(this, args);
    if (bound && !bound.element && bound.container) {
      bound.element = bound.container.get ? bound.container.get(0) : bound.container;
    }
    return bound;
  };

  // 2. Each field of a zone, once Wagtail has drawn it (label, help text, errors, input).
  const fieldRender = blocks.FieldBlockDefinition.prototype.render;
  blocks.FieldBlockDefinition.prototype.render = function renderAccessibly(...args) {
    const bound = fieldRender.apply(this, args);
    // Once the whole widget is in the page (it is drawn in one go).
    window.queueMicrotask(() => enhance(bound));
    return bound;
  };

  function enhance(bound) {
    const field = bound && bound.field;
    const input = field && bound.idForLabel && field.querySelector(`[id="${bound.idForLabel}"]`);
    if (!input || !field.closest('.distmark-zones')) return;
    describeByErrors(field, input);
    markRequired(field, input);
    countCharacters(field, input);
  }

  // Wagtail puts a field's errors in its `[data-field-errors]` box and sets aria-invalid:
  // link the box too, so a screen reader reads the message with the field.
  function describeByErrors(field, input) {
    const box = field.querySelector('[data-field-errors]');
    if (!box || !box.id) return;
    const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (!ids.includes(box.id)) input.setAttribute('aria-describedby', [box.id, ...ids].join(' '));
  }

  // A text HQ requires (the zone's "every text required"): Wagtail's required mark on its
  // label, and aria-required on its input. The server judges the value (campaigns/zones.py).
  function markRequired(field, input) {
    if (!field.hasAttribute('data-distmark-required')) return;
    input.setAttribute('aria-required', 'true');
    const wrapper = field.closest('[data-contentpath]');
    const label = wrapper && wrapper.querySelector(':scope > label.w-field__label');
    if (label && !label.querySelector('.w-required-mark')) {
      const mark = document.createElement('span');
      mark.className = 'w-required-mark';
      mark.textContent = '*';
      label.appendChild(mark);
    }
  }

  // A text with a maximum length: a live count instead of `maxlength`, which cuts typing
  // and pasting silently (and counts differently from the server, which counts what a
  // reader sees). Too long a text is refused on save, on this field.
  function countCharacters(field, input) {
    const limit = parseInt(input.getAttribute('maxlength'), 10);
    if (!(limit > 0) || !['INPUT', 'TEXTAREA'].includes(input.tagName)) return;
    input.removeAttribute('maxlength');
    const texts = field.closest('.distmark-zones').dataset;
    const count = document.createElement('p');
    count.className = 'distmark-count';
    count.setAttribute('aria-hidden', 'true'); // the live region below speaks for it
    const spoken = document.createElement('p');
    spoken.className = 'w-sr-only';
    spoken.setAttribute('aria-live', 'polite');
    input.insertAdjacentElement('afterend', count);
    count.insertAdjacentElement('afterend', spoken);
    let timer;
    const update = (announce) => {
      const used = visibleLength(input.value);
      const over = used - limit;
      const template = over > 0 ? texts.distmarkCountOverText : texts.distmarkCountText;
      count.textContent = template
        .replace('%(count)s', used)
        .replace('%(limit)s', limit)
        .replace('%(over)s', over);
      count.classList.toggle('distmark-count--over', over > 0);
      window.clearTimeout(timer);
      if (announce) {
        // Once typing pauses, not at every key.
        timer = window.setTimeout(() => {
          spoken.textContent = count.textContent;
        }, 1000);
      }
    };
    input.addEventListener('input', () => update(true));
    update(false);
  }

  // Characters a reader sees, as the server counts them (wagtail_distmark/text.py): no
  // invisible or control characters (tab and line breaks kept), NFC-composed.
  const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;
  function visibleLength(text) {
    return [...text.replace(INVISIBLE, '').normalize('NFC')].length;
  }
})();
