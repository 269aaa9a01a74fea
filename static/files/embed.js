// Backpack's embed loader. Paste
//   <script src="https://BACKPACK/embed.js" data-backpack-embed="https://BACKPACK/embed/c/SLUG" async></script>
// where the widget should appear: this script puts an <iframe> of the widget
// in its place and keeps the frame as tall as the widget's content. It
// accepts height messages only from that frame, and only from Backpack's
// origin; it reads nothing from the page it runs on.
(function () {
  'use strict';
  var MAX_HEIGHT = 4000;
  function mount(script) {
    if (script.getAttribute('data-backpack-mounted')) return;
    var src = script.getAttribute('data-backpack-embed');
    var url;
    try { url = new URL(src, script.src); } catch (e) { return; }
    var origin = new URL(script.src).origin;
    if (url.origin !== origin || url.pathname.indexOf('/embed/') !== 0) return;
    script.setAttribute('data-backpack-mounted', '1');
    var frame = document.createElement('iframe');
    frame.src = url.href;
    frame.title = script.getAttribute('data-title') || 'Badges on Backpack';
    frame.loading = 'lazy';
    frame.style.border = '0';
    frame.style.width = '100%';
    frame.style.maxWidth = '100%';
    frame.style.height = (url.pathname.indexOf('/embed/c/') === 0 ? 400 : 130) + 'px';
    frame.setAttribute('data-backpack-frame', '');
    window.addEventListener('message', function (ev) {
      if (ev.origin !== origin || ev.source !== frame.contentWindow) return;
      var h = ev.data && ev.data.backpackEmbedHeight;
      if (typeof h !== 'number' || !isFinite(h) || h <= 0) return;
      frame.style.height = Math.min(Math.ceil(h), MAX_HEIGHT) + 'px';
    });
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
  if (document.currentScript) mount(document.currentScript);
  var all = document.querySelectorAll('script[data-backpack-embed]');
  for (var i = 0; i < all.length; i++) {
    if (all[i].src) mount(all[i]);
  }
})();
