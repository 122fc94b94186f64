/**
 * The readers' page at /review: sign in (a bearer token kept in this tab's sessionStorage, where
 * the viewer extension reads it) and the worklist, studies with pending AI results first, each
 * linking into the Dafne review mode. Static HTML: the data comes from /api/v1 with the token.
 * A department with an identity provider replaces the sign-in part (docs/review.md).
 */
import { REVIEW_MODE_ROUTE, VIEWER_BASE } from './app-config.js';

export const TOKEN_KEY = 'dafne.token';

export function reviewPageHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dafne review worklist</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;background:#0b1020;color:#e6e8ef}
 a{color:#7cc4ff} table{border-collapse:collapse;margin-top:1rem} td,th{padding:.35rem .8rem;border-bottom:1px solid #2a3150;text-align:left}
 .pending{color:#ffd166;font-weight:600} input,button{font:inherit;padding:.3rem .6rem} #who{opacity:.8}
</style></head>
<body>
<h1>Dafne review</h1>
<form id="signin" hidden><label>Reader token <input id="token" type="password" autocomplete="off" required></label> <button>Sign in</button> <span id="err"></span></form>
<p id="who"></p>
<table id="list" hidden><thead><tr><th>Study</th><th>Date</th><th>Description</th><th>Pending</th><th>Reviewed</th><th>Models</th><th></th></tr></thead><tbody></tbody></table>
<p id="empty" hidden>No AI results yet.</p>
<script>
(function () {
  var KEY = ${JSON.stringify(TOKEN_KEY)};
  function headers() { var t = sessionStorage.getItem(KEY); return t ? { Authorization: 'Bearer ' + t } : {}; }
  function text(v) { return v == null ? '' : String(v); }
  function cell(tr, v) { var td = document.createElement('td'); td.textContent = text(v); tr.appendChild(td); return td; }
  async function load() {
    var me = await fetch('/api/v1/me', { headers: headers() });
    if (me.status === 401 || me.status === 403) { sessionStorage.removeItem(KEY); document.getElementById('signin').hidden = false; return; }
    var who = await me.json();
    document.getElementById('who').textContent = 'Signed in as ' + who.name + (who.anonymous ? ' (node without tokens, loopback only)' : '');
    var res = await fetch('/api/v1/worklist', { headers: headers() });
    var rows = await res.json();
    var body = document.querySelector('#list tbody');
    body.textContent = '';
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.dataset.study = r.studyInstanceUid;
      cell(tr, r.accessionNumber || r.studyInstanceUid); cell(tr, r.studyDate); cell(tr, r.studyDescription);
      var p = cell(tr, r.pending); if (r.pending) p.className = 'pending';
      cell(tr, r.reviewed); cell(tr, (r.models || []).join(', '));
      var a = document.createElement('a');
      a.href = ${JSON.stringify(`${VIEWER_BASE}${REVIEW_MODE_ROUTE}`)} + '?StudyInstanceUIDs=' + encodeURIComponent(r.studyInstanceUid);
      a.textContent = r.pending ? 'Review' : 'Open';
      tr.appendChild(document.createElement('td')).appendChild(a);
      body.appendChild(tr);
    });
    document.getElementById('list').hidden = rows.length === 0;
    document.getElementById('empty').hidden = rows.length !== 0;
  }
  document.getElementById('signin').addEventListener('submit', function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById('token').value.trim());
    document.getElementById('signin').hidden = true;
    load().catch(function (err) { document.getElementById('err').textContent = String(err); });
  });
  load().catch(function (err) { document.getElementById('err').textContent = String(err); });
})();
</script>
</body></html>
`;
}
