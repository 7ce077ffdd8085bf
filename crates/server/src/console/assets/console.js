// The console's only script, served from /assets/console.js so the CSP can refuse inline code.
// Behaviour is attached by data- attributes; listeners sit on the document (events bubble), so
// the script needs no load event and works for every page that includes it.
'use strict';

// <form data-confirm="question">, or a submit button with it (a form with several actions, one
// of them destructive): the submit goes ahead only if the user says yes.
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  var by = e.submitter;
  var question = by && by.hasAttribute('data-confirm') ? by.dataset.confirm : form.dataset.confirm;
  if (question && !window.confirm(question)) {
    e.preventDefault();
  }
});

document.addEventListener('change', function (e) {
  var el = e.target;
  if (!(el instanceof HTMLElement)) {
    return;
  }
  // <select data-autosubmit>: choosing sends its form (the organization switcher).
  if (el.hasAttribute('data-autosubmit') && el.form) {
    el.form.submit();
    return;
  }
  // <input type=checkbox data-check-all="name">: ticks or clears every `name` box of its form.
  var name = el.getAttribute('data-check-all');
  if (name !== null && el.form) {
    var boxes = el.form.querySelectorAll('input[type=checkbox]');
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].name === name) {
        boxes[i].checked = el.checked;
      }
    }
    return;
  }
  // <input type=file data-read-into="id">: the chosen file's text goes into the textarea `id`.
  var into = el.getAttribute('data-read-into');
  if (into !== null && el.files && el.files[0]) {
    var target = document.getElementById(into);
    var reader = new FileReader();
    reader.onload = function () {
      if (target) {
        target.value = reader.result;
      }
    };
    reader.readAsText(el.files[0]);
  }
});

// Until a person chooses a time zone on their account page, times follow the browser's: its
// zone goes into the `tz` cookie the server reads, and into empty <input data-browser-zone>s.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (err) {
    return;
  }
  // tz database names only; they need no escaping in a cookie.
  if (!zone || !/^[A-Za-z0-9\/_+-]{1,64}$/.test(zone)) {
    return;
  }
  if (document.cookie.split('; ').indexOf('tz=' + zone) < 0) {
    document.cookie = 'tz=' + zone + '; path=/; max-age=31536000; samesite=lax';
  }
  var inputs = document.querySelectorAll('input[data-browser-zone]');
  for (var i = 0; i < inputs.length; i++) {
    if (!inputs[i].value) {
      inputs[i].value = zone;
    }
  }
})();

// ----- Look and feel: the folding navigation and scrolling tables -----
// The page works without this; with it, narrow windows fold the navigation behind a button.
document.documentElement.classList.add('js');

// <button data-nav-toggle aria-controls="id">: shows or hides the navigation `id`.
document.addEventListener('click', function (e) {
  var button = e.target instanceof Element ? e.target.closest('[data-nav-toggle]') : null;
  if (!button) {
    return;
  }
  var nav = document.getElementById(button.getAttribute('aria-controls'));
  if (nav) {
    var open = nav.classList.toggle('open');
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  }
});

// Every table of the page sits in a box that scrolls sideways when the table is wider than the
// window; a box that scrolls can be reached with the keyboard, so it can be scrolled with keys.
(function () {
  var boxes = [];
  var tables = document.querySelectorAll('main table');
  for (var i = 0; i < tables.length; i++) {
    var table = tables[i];
    if (table.parentNode.classList && table.parentNode.classList.contains('table-scroll')) {
      continue;
    }
    var box = document.createElement('div');
    box.className = 'table-scroll';
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
    boxes.push(box);
  }
  function reachable() {
    for (var j = 0; j < boxes.length; j++) {
      if (boxes[j].scrollWidth > boxes[j].clientWidth + 1) {
        boxes[j].setAttribute('tabindex', '0');
      } else {
        boxes[j].removeAttribute('tabindex');
      }
    }
  }
  reachable();
  window.addEventListener('resize', reachable);
})();
