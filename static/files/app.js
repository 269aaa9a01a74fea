// Backpack's only script: progressive enhancement of the add-badges form
// and of the order of a collection. Without it the forms post as they are.
// It never sets innerHTML: everything it shows is built with createElement
// and textContent.
(function () {
  "use strict";
  var form = document.getElementById("add-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = document.getElementById("f-files");
  var folder = document.getElementById("f-folder");
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
    var files = Array.prototype.slice.call(input.files || [])
      .concat(Array.prototype.slice.call((folder && folder.files) || []))
      .concat(dropped);
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
    if (folder) folder.value = "";
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

// A collection's badges can be dragged into a new order: a mouse shortcut
// for the Move up and Move down buttons, which stay the keyboard path. The
// new order goes to the list's data-order-url; if the server refuses it,
// the old order comes back. #order-status says what happened.
(function () {
  "use strict";
  var list = document.querySelector("ol[data-order-url]");
  var status = document.getElementById("order-status");
  var token = document.querySelector("input[name=_csrf]");
  if (!list || !status || !token || !window.fetch || !window.URLSearchParams || !("draggable" in list)) return;
  var base = list.getAttribute("data-order-url").replace(/\/order$/, "");
  var dragged = null; // the item being dragged, if it is one of ours
  var busy = false; // an order is being saved

  function items() { return Array.prototype.slice.call(list.children); }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function unmark() {
    items().forEach(function (li) { li.classList.remove("drop-before", "drop-after"); });
  }

  // The item under the event and whether the pointer is in its lower half.
  function spot(e) {
    var li = e.target && e.target.closest ? e.target.closest("li") : null;
    if (!li || li.parentNode !== list) return null;
    var r = li.getBoundingClientRect();
    return { li: li, after: e.clientY > r.top + r.height / 2 };
  }

  // A Move up or Move down form, as templates/collections.templ makes it.
  function moveForm(li, dir) {
    var f = document.createElement("form");
    f.method = "post";
    f.action = base + "/move";
    [["_csrf", token.value], ["badge_id", li.getAttribute("data-badge-id")], ["dir", dir]].forEach(function (kv) {
      var h = document.createElement("input");
      h.type = "hidden"; h.name = kv[0]; h.value = kv[1];
      f.appendChild(h);
    });
    var label = dir === "up" ? "Move up" : "Move down";
    var b = document.createElement("button");
    b.type = "submit";
    b.className = "secondary";
    b.textContent = label;
    b.setAttribute("aria-label", label + ": " + li.getAttribute("data-name"));
    f.appendChild(b);
    return f;
  }

  function moveFormOf(li, dir) {
    var input = li.querySelector(".actions input[name=dir][value=" + dir + "]");
    return input ? input.form : null;
  }

  // After a drop each item offers the moves it can make, as the server
  // would: no Move up for the first, no Move down for the last.
  function fixButtons() {
    var all = items();
    all.forEach(function (li, i) {
      var actions = li.querySelector(".actions");
      if (!actions) return;
      var up = moveFormOf(li, "up"), down = moveFormOf(li, "down");
      if (i > 0 && !up) up = actions.insertBefore(moveForm(li, "up"), actions.firstChild);
      if (i === 0 && up) { actions.removeChild(up); up = null; }
      if (i < all.length - 1 && !down) actions.insertBefore(moveForm(li, "down"), up ? up.nextSibling : actions.firstChild);
      if (i === all.length - 1 && down) actions.removeChild(down);
    });
  }

  function save(li, before) {
    busy = true;
    list.setAttribute("aria-busy", "true");
    var body = new URLSearchParams();
    body.append("order", items().map(function (x) { return x.getAttribute("data-badge-id"); }).join(","));
    fetch(base + "/order", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": token.value },
      body: body
    }).then(function (r) {
      if (r.status === 204) return null;
      var fallback = "the server answered " + r.status + ". Reload the page and try again.";
      return r.json().then(function (d) {
        return (d && d.error && d.error.message) || fallback;
      }, function () { return fallback; });
    }, function () {
      return "check your connection and try again.";
    }).then(function (problem) {
      busy = false;
      list.removeAttribute("aria-busy");
      var name = li.getAttribute("data-name");
      if (problem) {
        before.forEach(function (x) { list.appendChild(x); });
        fixButtons();
        say("Could not move " + name + ": " + problem + " The list is back in its old order.", true);
        return;
      }
      var all = items();
      say("Moved " + name + " to position " + (all.indexOf(li) + 1) + " of " + all.length + ".");
    });
  }

  function drop(li, at) {
    var before = items();
    if (at.li !== li) list.insertBefore(li, at.after ? at.li.nextSibling : at.li);
    var changed = items().some(function (x, i) { return x !== before[i]; });
    if (!changed) return;
    fixButtons();
    save(li, before);
  }

  var all = items();
  if (all.length < 2) return;
  all.forEach(function (li) { li.draggable = true; });
  list.classList.add("reorderable");
  var hint = document.createElement("p");
  hint.className = "muted";
  hint.textContent = "Drag a badge to move it, or use its Move buttons.";
  list.parentNode.insertBefore(hint, list);

  list.addEventListener("dragstart", function (e) {
    var at = spot(e);
    if (!at || busy) { if (busy) e.preventDefault(); return; }
    dragged = at.li;
    dragged.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.getAttribute("data-name"));
    if (e.dataTransfer.setDragImage) {
      var r = dragged.getBoundingClientRect();
      e.dataTransfer.setDragImage(dragged, e.clientX - r.left, e.clientY - r.top);
    }
  });
  ["dragenter", "dragover"].forEach(function (t) {
    list.addEventListener(t, function (e) {
      var at = dragged && spot(e);
      if (!at) return; // not our drag (a file, text): the browser decides
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      unmark();
      if (at.li !== dragged) at.li.classList.add(at.after ? "drop-after" : "drop-before");
    });
  });
  list.addEventListener("dragleave", function (e) {
    if (!list.contains(e.relatedTarget)) unmark();
  });
  list.addEventListener("drop", function (e) {
    var at = dragged && spot(e);
    if (!at) return;
    e.preventDefault();
    unmark();
    drop(dragged, at);
  });
  list.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    unmark();
  });
})();

// A bulk import's page follows the job: the progress bar and the status
// line update every two seconds, and the page reloads once the job is done
// to list every file's outcome. Without JavaScript, the page says to reload.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=import-job][data-finished=false]");
  if (!box || !window.fetch) return;
  var bar = box.querySelector("progress");
  var label = box.querySelector("label[for=job-progress]");
  var status = box.querySelector("[data-testid=job-status]");
  var polls = 0;
  function poll() {
    fetch(box.getAttribute("data-json"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (j) {
        if (j.finished) { window.location.reload(); return; }
        bar.max = j.total;
        bar.value = j.done;
        label.textContent = j.done + " of " + j.total + " files";
        // The status line is a live region: say it every 10 s, not every 2.
        if (++polls % 5 === 0) status.textContent = "Importing: " + j.done + " of " + j.total + " files done.";
        setTimeout(poll, 2000);
      })
      .catch(function () {
        status.textContent = "Could not get the progress; reload the page to see it.";
      });
  }
  setTimeout(poll, 2000);
})();
