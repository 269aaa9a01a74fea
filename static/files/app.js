// Backpack's only script: progressive enhancement of the add-badges form.
// Without it the form posts as it is. It never sets innerHTML: everything it
// shows is built with createElement and textContent.
(function () {
  "use strict";
  var form = document.getElementById("add-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.elements.files;
  var zone = document.getElementById("dropzone");
  var progress = document.getElementById("progress");
  var button = form.querySelector("[type=submit]");
  var maxBytes = (parseInt(form.getAttribute("data-max-file-mb"), 10) || 0) * 1024 * 1024;
  var dropped = [];
  var labels = { added: "Added", duplicate: "Already in your backpack", updated: "Updated", pending: "Waiting for an address", rejected: "Not added" };
  var icons = { added: "✓", duplicate: "=", updated: "↻", pending: "⌛", rejected: "✗" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // (a) The drop zone: files dropped on it join a list shown inside it.
  var list = el("ul", "dropped-files");
  function showDropped() {
    list.textContent = "";
    dropped.forEach(function (f, i) {
      var li = el("li", null, f.name + " ");
      var rm = el("button", "link", "Remove");
      rm.type = "button";
      rm.appendChild(el("span", "visually-hidden", " " + f.name));
      rm.addEventListener("click", function () { dropped.splice(i, 1); showDropped(); input.focus(); });
      li.appendChild(rm);
      list.appendChild(li);
    });
  }
  if (zone) {
    zone.appendChild(list);
    zone.hidden = false;
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; zone.classList.add("dragover"); });
    });
    zone.addEventListener("dragleave", function (e) {
      if (!zone.contains(e.relatedTarget)) zone.classList.remove("dragover");
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("dragover");
      Array.prototype.push.apply(dropped, Array.prototype.slice.call(e.dataTransfer.files));
      showDropped();
    });
    // A file dropped just beside the zone would make the browser open it and
    // lose the form: ignore drops outside the zone and the file input.
    ["dragover", "drop"].forEach(function (t) {
      document.addEventListener(t, function (e) {
        if (e.target !== input && !zone.contains(e.target)) e.preventDefault();
      });
    });
  }

  // One result, built like the server's (templates/badges.templ importResult).
  function result(r) {
    var o = labels[r.outcome] ? r.outcome : "rejected";
    var li = el("li", "import-result outcome-" + o);
    li.setAttribute("data-testid", "import-result");
    li.setAttribute("data-outcome", o);
    var what = el("div", "what");
    what.appendChild(el("strong", "item", r.item));
    var pill = el("span", "outcome outcome-" + o);
    var icon = el("span", "status-icon", icons[o]);
    icon.setAttribute("aria-hidden", "true");
    pill.appendChild(icon);
    pill.appendChild(document.createTextNode(" " + labels[o]));
    what.appendChild(document.createTextNode(" "));
    what.appendChild(pill);
    if (r.name && r.name !== r.item) {
      what.appendChild(el("br"));
      what.appendChild(el("span", "badge-name", r.name));
    }
    if (r.message) what.appendChild(el("p", "message", r.message));
    li.appendChild(what);
    var actions = el("div", "actions");
    // Only our own pages: a path, not "//host" or "/\host".
    if (r.badgeUrl && /^\/(?![\/\\])/.test(r.badgeUrl)) {
      var a = el("a", "button secondary", "View badge");
      a.href = r.badgeUrl;
      a.appendChild(el("span", "visually-hidden", ": " + (r.name || r.item)));
      actions.appendChild(a);
    }
    if (r.addEmail) {
      var f = el("form");
      f.method = "post";
      f.action = "/settings/identities";
      [["_csrf", form.elements._csrf.value], ["kind", "email"], ["value", r.addEmail]].forEach(function (kv) {
        var h = el("input");
        h.type = "hidden"; h.name = kv[0]; h.value = kv[1];
        f.appendChild(h);
      });
      var b = el("button", "secondary", "Add and confirm " + r.addEmail);
      b.type = "submit";
      f.appendChild(b);
      actions.appendChild(f);
    }
    if (actions.firstChild) li.appendChild(actions);
    return li;
  }

  function failed(name, message) {
    return result({ item: name, outcome: "rejected", message: message });
  }

  // (b) Send one request, showing its progress in #progress.
  function upload(job, done) {
    var li = el("li", "import-result uploading");
    li.appendChild(el("p", null, "Uploading " + job.name + "…"));
    var bar = el("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", "Upload of " + job.name);
    li.appendChild(bar);
    progress.appendChild(li);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round(e.loaded * 100 / e.total);
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (data && Array.isArray(data.results) && data.results.length) {
        data.results.forEach(function (r) { progress.insertBefore(result(r), li); });
        job.ok = true;
      } else if (xhr.status === 413) {
        progress.insertBefore(failed(job.name, job.name + " is too large to upload."), li);
      } else {
        progress.insertBefore(failed(job.name, "Could not upload " + job.name + ": the server answered " + xhr.status + ". Try again later."), li);
      }
      progress.removeChild(li);
      done();
    });
    xhr.addEventListener("error", function () {
      progress.replaceChild(failed(job.name, "Could not upload " + job.name + ": check your connection and try again"), li);
      done();
    });
    xhr.send(job.data);
  }

  function formData() {
    var fd = new FormData();
    fd.append("_csrf", form.elements._csrf.value);
    return fd;
  }

  form.addEventListener("submit", function (e) {
    var files = Array.prototype.slice.call(input.files || []).concat(dropped);
    if (!files.length) return; // URLs and text alone: the ordinary post
    e.preventDefault();
    var old = document.querySelector("[data-testid=import-results]");
    if (old) old.parentNode.removeChild(old); // the results of the last post
    var jobs = [];
    files.forEach(function (f) {
      if (maxBytes && f.size > maxBytes) {
        progress.appendChild(failed(f.name, f.name + " is larger than " + maxBytes / 1048576 + " MB: it was not sent."));
        return;
      }
      var fd = formData();
      fd.append("files", f, f.name);
      jobs.push({ name: f.name, data: fd });
    });
    var urls = form.elements.urls, text = form.elements.text;
    var more = { name: "your URLs and pasted badge", data: formData() };
    if (urls.value.trim() || text.value.trim()) {
      more.data.append("urls", urls.value);
      more.data.append("text", text.value);
      jobs.push(more);
    }
    input.value = "";
    dropped = [];
    showDropped();
    // Disabling the focused button blurs it and drops the focus to the top
    // of the page; it gets the focus back when the uploads are done.
    var hadFocus = document.activeElement === button;
    button.disabled = true;
    (function next(i) {
      if (i === jobs.length) {
        button.disabled = false;
        if (hadFocus && (!document.activeElement || document.activeElement === document.body)) button.focus();
        if (more.ok) { urls.value = ""; text.value = ""; }
        return;
      }
      upload(jobs[i], function () { next(i + 1); });
    })(0);
  });
})();

// Copy buttons: a button with data-copy copies its value to the clipboard
// and says so in the nearest [data-copy-status] live region. The buttons
// stay hidden where the Clipboard API is missing; the link is on the page.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var status = b.closest(".share-out");
      status = status && status.querySelector("[data-copy-status]");
      navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
        if (status) status.textContent = "Link copied.";
      }, function () {
        if (status) status.textContent = "Could not copy; select the link above and copy it.";
      });
    });
  });
})();
