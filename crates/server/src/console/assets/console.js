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
