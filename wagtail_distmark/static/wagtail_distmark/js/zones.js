// Each editable zone of a campaign is a block widget whose root is a StructBlock.
// Wagtail's block widget expects its root block to expose `element` (StreamBlock and
// ListBlock do); a StructBlock only has `container`. Give it one so the widget finishes
// connecting (and dispatches its "ready" event) instead of failing on every page load.
(() => {
  const blocks = window.wagtailStreamField && window.wagtailStreamField.blocks;
  if (!blocks || !blocks.StructBlockDefinition) return;
  const { render } = blocks.StructBlockDefinition.prototype;
  blocks.StructBlockDefinition.prototype.render = function renderWithElement(...args) {
    const bound = render.apply(this, args);
    if (bound && !bound.element && bound.container) {
      bound.element = bound.container.get ? bound.container.get(0) : bound.container;
    }
    return bound;
  };
})();
