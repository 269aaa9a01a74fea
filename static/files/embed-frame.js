// Runs inside Backpack's embed widget (/embed/...). It tells the page that
// frames the widget how tall the widget is, so the loader script (embed.js)
// can size the frame to fit. It sends only a number, and reads nothing.
(function () {
  'use strict';
  if (window.parent === window) return;
  var last = -1;
  function report() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ backpackEmbedHeight: h }, '*');
  }
  window.addEventListener('load', report);
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.documentElement);
  } else {
    window.addEventListener('resize', report);
  }
  report();
})();
