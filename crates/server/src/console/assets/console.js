// The console's only script, served from /assets/console.js so the CSP can refuse inline code.
// Behaviour is attached by data- attributes; listeners sit on the document (events bubble), so
// the script needs no load event and works for every page that includes it.
'use strict';

// <form data-confirm="question">, or a submit button with it (a form with several actions, one
// of them destructive): the submit goes ahead only if the user says yes. A button with
// data-confirm-from="id" asks the question of the option chosen in that select, when it has one
// (unpublishing says how many people lose access in the chosen network).
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  var by = e.submitter;
  var question = by && by.hasAttribute('data-confirm') ? by.dataset.confirm : form.dataset.confirm;
  var from = by ? document.getElementById(by.getAttribute('data-confirm-from') || '') : null;
  var chosen = from && from.options ? from.options[from.selectedIndex] : null;
  if (chosen && chosen.hasAttribute('data-confirm')) {
    question = chosen.dataset.confirm;
  }
  // data-confirm-count="name": the question names how many `name` boxes are ticked ({n}), in
  // the singular from data-confirm-one when there is one.
  var counted = by ? by.getAttribute('data-confirm-count') : null;
  if (counted && question) {
    var n = 0;
    var boxes = form.querySelectorAll('input[type=checkbox]');
    for (var b = 0; b < boxes.length; b++) {
      if (boxes[b].name === counted && boxes[b].checked) {
        n += 1;
      }
    }
    if (n === 1 && by.hasAttribute('data-confirm-one')) {
      question = by.getAttribute('data-confirm-one');
    }
    question = question.split('{n}').join(String(n));
  }
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
  // <select data-audience-of>: each network's option carries the app's audience there
  // (data-audience, data-audience-ids); choosing the network shows that audience in the form,
  // so publishing changes only what the admin then changes.
  if (el.hasAttribute('data-audience-of') && el.form) {
    var chosen = el.options[el.selectedIndex];
    var kind = chosen ? chosen.getAttribute('data-audience') : 'all_units';
    var ids = chosen ? (chosen.getAttribute('data-audience-ids') || '').split(' ') : [];
    var inputs = el.form.querySelectorAll('input[name=audience], input[name=partner_type], input[name=unit_id]');
    for (var j = 0; j < inputs.length; j++) {
      var box = inputs[j];
      box.checked = box.name === 'audience' ? box.value === kind : ids.indexOf(box.value) >= 0;
    }
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

// ---- Person picker ---------------------------------------------------------------------------
// <input data-pick="org|reach|unit:<network>:<unit>" name=… value="mem_… mem_…"> becomes a
// combobox: typing searches /console/pick/people, the chosen people show as removable chips, and
// a hidden input posts their ids under the field's name, as the plain input would have.
// data-pick-multiple keeps several; data-picked holds [[id, name], …] for the ids already there.
(function () {
  var seq = 0;

  function setup(input) {
    seq += 1;
    var multiple = input.hasAttribute('data-pick-multiple');
    var required = input.required;
    var picked = [];
    try {
      picked = JSON.parse(input.getAttribute('data-picked') || '[]');
    } catch (err) {
      picked = [];
    }
    var wrap = document.createElement('div');
    wrap.className = 'picker';
    input.parentNode.insertBefore(wrap, input);
    var chips = document.createElement('ul');
    chips.className = 'picks';
    var hidden = document.createElement('input');
    hidden.type = 'hidden';
    hidden.name = input.name;
    input.removeAttribute('name');
    input.value = '';
    var list = document.createElement('ul');
    list.id = 'pick-list-' + seq;
    list.className = 'pick-list';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    wrap.appendChild(chips);
    wrap.appendChild(input);
    wrap.appendChild(hidden);
    wrap.appendChild(list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function sync() {
      hidden.value = picked.map(function (p) { return p[0]; }).join(' ');
      input.required = required && picked.length === 0;
      chips.textContent = '';
      picked.forEach(function (p, i) {
        var li = document.createElement('li');
        li.setAttribute('data-id', p[0]);
        li.setAttribute('data-testid', 'picked');
        var name = document.createElement('span');
        name.textContent = p[1];
        var x = document.createElement('button');
        x.type = 'button';
        x.className = 'unpick';
        x.textContent = '×';
        x.setAttribute('aria-label', (input.getAttribute('data-pick-remove') || '').replace('{name}', p[1]));
        x.addEventListener('click', function () {
          picked.splice(i, 1);
          sync();
          input.focus();
        });
        li.appendChild(name);
        li.appendChild(x);
        chips.appendChild(li);
      });
      chips.hidden = picked.length === 0;
    }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }

    function mark(i) {
      active = i;
      var items = list.querySelectorAll('[role=option]');
      for (var k = 0; k < items.length; k++) {
        items[k].setAttribute('aria-selected', k === i ? 'true' : 'false');
      }
      if (i >= 0 && items[i]) {
        input.setAttribute('aria-activedescendant', items[i].id);
        items[i].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function choose(i) {
      var c = options[i];
      if (!c) {
        return;
      }
      if (multiple) {
        picked.push([c.id, c.name]);
      } else {
        picked = [[c.id, c.name]];
      }
      input.value = '';
      close();
      sync();
    }

    function show(found) {
      var taken = picked.map(function (p) { return p[0]; });
      options = found.filter(function (c) { return taken.indexOf(c.id) < 0; });
      list.textContent = '';
      if (options.length === 0) {
        var none = document.createElement('li');
        none.className = 'muted';
        none.textContent = input.getAttribute('data-pick-none') || '';
        list.appendChild(none);
      }
      options.forEach(function (c, i) {
        var li = document.createElement('li');
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.setAttribute('data-id', c.id);
        li.setAttribute('data-testid', 'pick-option');
        var strong = document.createElement('strong');
        strong.textContent = c.name;
        li.appendChild(strong);
        if (c.detail) {
          var small = document.createElement('small');
          small.textContent = c.detail;
          li.appendChild(small);
        }
        // mousedown, not click: it comes before the input loses focus and closes the list.
        li.addEventListener('mousedown', function (e) {
          e.preventDefault();
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      mark(options.length ? 0 : -1);
    }

    function search() {
      var q = input.value.trim();
      if (!q) {
        close();
        return;
      }
      asked += 1;
      var mine = asked;
      var url = '/console/pick/people?from=' + encodeURIComponent(input.getAttribute('data-pick')) +
        '&q=' + encodeURIComponent(q);
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          // An older answer arriving late must not replace a newer one.
          if (mine === asked && Array.isArray(found)) {
            show(found);
          }
        })
        .catch(function () {});
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener('keydown', function (e) {
      var open = !list.hidden;
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (open && options.length) {
          mark((active + 1) % options.length);
        } else {
          search();
        }
      } else if (e.key === 'ArrowUp' && open && options.length) {
        e.preventDefault();
        mark((active - 1 + options.length) % options.length);
      } else if (e.key === 'Enter' && open) {
        // Enter picks; it does not send the form half filled.
        e.preventDefault();
        choose(active);
      } else if (e.key === 'Escape' && open) {
        e.preventDefault();
        close();
      } else if (e.key === 'Backspace' && !input.value && picked.length) {
        picked.pop();
        sync();
      }
    });
    input.addEventListener('blur', close);
    sync();
  }

  function all() {
    var inputs = document.querySelectorAll('input[data-pick]');
    for (var i = 0; i < inputs.length; i++) {
      setup(inputs[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', all);
  } else {
    all();
  }
})();

// ---- Filter builder ----------------------------------------------------------------------------
// <fieldset data-filter-builder="input-id" hidden>: field, operator and value choosers that write
// one `field:op:value` condition into the filter input, joined to what is there by ";". Each field
// option lists its operators (data-ops) and, for a choice field, its options (data-choices, one
// per line). Without the script the fieldset stays hidden and the input takes the syntax typed.
(function () {
  function setup(box) {
    var target = document.getElementById(box.getAttribute('data-filter-builder'));
    var field = box.querySelector('[data-filter-field]');
    var op = box.querySelector('[data-filter-op]');
    var value = box.querySelector('[data-filter-value]');
    var choices = box.querySelector('datalist');
    var add = box.querySelector('[data-filter-add]');
    if (!target || !field || !op || !value || !choices || !add) {
      return;
    }
    function fit() {
      var chosen = field.options[field.selectedIndex];
      var ops = chosen ? (chosen.getAttribute('data-ops') || '').split(' ') : [];
      var first = null;
      for (var i = 0; i < op.options.length; i++) {
        var o = op.options[i];
        o.hidden = ops.indexOf(o.value) < 0;
        o.disabled = o.hidden;
        if (!o.hidden && first === null) {
          first = o.value;
        }
      }
      if (op.selectedOptions.length === 0 || op.selectedOptions[0].hidden) {
        op.value = first || '';
      }
      choices.textContent = '';
      var listed = chosen ? (chosen.getAttribute('data-choices') || '') : '';
      listed.split('\n').filter(Boolean).forEach(function (c) {
        var option = document.createElement('option');
        option.value = c;
        choices.appendChild(option);
      });
    }
    field.addEventListener('change', fit);
    add.addEventListener('click', function () {
      var text = value.value.trim();
      if (!field.value || !op.value || !text) {
        value.focus();
        return;
      }
      var condition = field.value + ':' + op.value + ':' + text;
      var now = target.value.trim();
      target.value = now ? now + ';' + condition : condition;
      value.value = '';
      target.focus();
    });
    box.hidden = false;
    fit();
  }

  function all() {
    var boxes = document.querySelectorAll('[data-filter-builder]');
    for (var i = 0; i < boxes.length; i++) {
      setup(boxes[i]);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', all);
  } else {
    all();
  }
})();

// ---- Department tree search ----------------------------------------------------------------------
// A select of departments in tree order (options with data-depth) gets a search box: typing
// keeps the departments whose name holds the text, with the departments above them for
// context, and hides the rest. Chosen options are never hidden, so a form never loses a choice.
(function () {
  function setup(select) {
    var search = document.createElement('input');
    search.type = 'search';
    search.className = 'tree-search';
    search.placeholder = document.body.getAttribute('data-tree-search') || '';
    search.setAttribute('aria-label', search.placeholder);
    search.setAttribute('data-testid', 'tree-search');
    select.parentNode.insertBefore(search, select);
    function narrow() {
      var text = search.value.trim().toLowerCase();
      var options = select.options;
      var keep = [];
      for (var i = 0; i < options.length; i++) {
        var o = options[i];
        keep[i] = !text || o.selected || !o.hasAttribute('data-depth') || o.text.toLowerCase().indexOf(text) >= 0;
        if (keep[i] && text && o.hasAttribute('data-depth')) {
          // The departments above a match: walk back to each shallower one.
          var depth = Number(o.getAttribute('data-depth'));
          for (var j = i - 1; j >= 0 && depth > 0; j--) {
            var above = Number(options[j].getAttribute('data-depth') || 0);
            if (above < depth) {
              keep[j] = true;
              depth = above;
            }
          }
        }
      }
      for (var k = 0; k < options.length; k++) {
        options[k].hidden = !keep[k];
      }
    }
    search.addEventListener('input', narrow);
    search.addEventListener('change', narrow);
    // Enter filters; it does not send the form.
    search.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') {
        e.preventDefault();
      }
    });
  }

  function all() {
    var selects = document.querySelectorAll('select');
    for (var i = 0; i < selects.length; i++) {
      var s = selects[i];
      // Worth a search box when the tree does not fit at a glance.
      if (s.querySelector('option[data-depth]') && s.options.length > 8) {
        setup(s);
      }
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', all);
  } else {
    all();
  }
})();
