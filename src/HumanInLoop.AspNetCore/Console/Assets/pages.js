// The console's other pages beside the inbox: the automation report, the replay of candidate policies, the standing grants.
// Each is a route (#/report, #/replay, #/grants); the inbox and the open approval come back on any other route.
import { renderReport } from './report.js';
import { renderReplay } from './replay.js';
import { renderGrants } from './grants.js';

const pages = { '#/report': ['Automation report', renderReport], '#/replay': ['Replay a candidate policy', renderReplay], '#/grants': ['Standing grants', renderGrants] };

// Shows the page the hash names and returns true, or hides the pages and returns false (the inbox's routes then apply).
export function showPage(hash, session) {
  const main = document.querySelector('#main');
  const page = document.querySelector('#page');
  const route = hash.replace(/\?.*$/, '');
  for (const link of document.querySelectorAll('#pages a')) link.toggleAttribute('aria-current', link.getAttribute('href') === (pages[route] ? route : '#/'));
  if (!pages[route] || !session) {
    main.classList.remove('showing-page');
    page.hidden = true;
    return false;
  }
  const [title, render] = pages[route];
  main.classList.add('showing-page');
  page.hidden = false;
  document.querySelector('#page-title').textContent = title;
  const body = document.querySelector('#page-body');
  body.replaceChildren();
  render(body, session);
  page.focus();
  return true;
}
