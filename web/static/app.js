// Evident dashboard: progressive enhancement only. Every page works
// without this script; it adds sortable and filterable tables and hides
// the custom time fields until they are chosen.
(function () {
  'use strict';

  function cellValue(row, i) {
    var c = row.cells[i];
    if (!c) return '';
    if (c.hasAttribute('data-sort')) return c.getAttribute('data-sort');
    return c.textContent.trim();
  }

  var numeric = /^-?\d+(\.\d+)?%?$/;

  function compare(a, b) {
    if (numeric.test(a) && numeric.test(b)) return parseFloat(a) - parseFloat(b);
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      if (th.hasAttribute('data-nosort')) return;
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'sort';
      while (th.firstChild) btn.appendChild(th.firstChild);
      th.appendChild(btn);
      btn.addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var r = compare(cellValue(x, i), cellValue(y, i));
          return dir === 'ascending' ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function makeFilter(input) {
    var table = document.getElementById(input.getAttribute('data-filter'));
    if (!table || !table.tBodies.length) return;
    var status = document.getElementById(input.getAttribute('data-filter') + '-count');
    function apply() {
      var q = input.value.trim().toLowerCase();
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var hit = !q || rows[i].textContent.toLowerCase().indexOf(q) >= 0;
        rows[i].hidden = !hit;
        if (hit) shown++;
      }
      if (status) status.textContent = q ? shown + ' of ' + rows.length + ' rows' : rows.length + ' rows';
    }
    input.addEventListener('input', apply);
    apply();
  }

  function customRange() {
    var since = document.getElementById('since');
    var custom = document.getElementById('custom-range');
    if (!since || !custom) return;
    var fields = custom.querySelectorAll('.field');
    function sync() {
      for (var i = 0; i < fields.length; i++) fields[i].hidden = since.value !== 'custom';
    }
    since.addEventListener('change', sync);
    sync();
  }

  document.querySelectorAll('table.sortable').forEach(makeSortable);
  document.querySelectorAll('input[data-filter]').forEach(makeFilter);
  customRange();
})();
