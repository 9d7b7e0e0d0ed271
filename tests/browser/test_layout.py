"""Layout at a phone's width (390 px) and a laptop's (1280 px): no horizontal scrolling, tap
targets of at least 24 by 24 CSS pixels (WCAG 2.5.8, with its exceptions), and a full-page
screenshot of each main page in var/screenshots/ (git-ignored) for people to look at.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = [390, 1280]
# name -> (signed in as, URL ({placeholders} from the Sample), what shows the page is there)
MAIN_PAGES = {
    "home": (None, "/", ".channel-group"),
    "channel": (None, "/c/marlholme-bay", ".thread-list"),
    "thread": ("member2", "{thread}", "#reply-form"),
    "thread-signed-out": (None, "{thread}", "#posts"),
    "new-thread": ("member", "/c/marlholme-bay/new?template=lesson", "textarea"),
    "reply": ("member2", "/p/{reply}/reply", "section.answering"),
    "safe-space": ("member", "/c/safe-space", "section.promise"),
    "signup": (None, "/signup", "form[action='/signup']"),
    "signin": (None, "/signin", "form[action='/signin']"),
    "member": (None, "/u/member", "h1 .handle"),
    "review-queue": ("moderator", "/mod/queue", ".queue-item"),
    "moderation-log": ("moderator", "/mod/log", "table"),
    "search": ("member", "/search?q=evaluation+plan", ".result-list"),
}

# Things a finger or pointer has to hit, and those too small: under 24 by 24 CSS pixels, unless
# WCAG 2.5.8 exempts them: a link inside a sentence, or a target with room around it (a 24 px
# circle on its centre touches no other target and no other small target's circle).
SMALL_TARGETS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const targets = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered
    if (box.right <= 0 || box.bottom <= 0) continue;  // off screen until focused: the skip link
    targets.push({el, box, x: box.left + box.width / 2, y: box.top + box.height / 2});
  }
  const inSentence = (el) => getComputedStyle(el).display === 'inline' &&
    /[A-Za-z0-9]/.test(el.parentElement.textContent.replace(el.textContent, ''));
  const undersized = targets.filter(
    (t) => (t.box.width < 23.99 || t.box.height < 23.99) && !inSentence(t.el));
  const gap = (t, box) => Math.hypot(Math.max(box.left - t.x, 0, t.x - box.right),
                                     Math.max(box.top - t.y, 0, t.y - box.bottom));
  const nested = (a, b) => a.el.contains(b.el) || b.el.contains(a.el);
  const describe = (t) =>
    `${t.el.outerHTML.slice(0, 100)} (${t.box.width.toFixed(1)} x ${t.box.height.toFixed(1)})`;
  const small = [];
  for (const t of undersized) {
    const near = targets.find((o) => o !== t && !nested(o, t) && gap(t, o.box) < 12) ||
      undersized.find((o) => o !== t && Math.hypot(o.x - t.x, o.y - t.y) < 24);
    if (near) small.push(`${describe(t)} is too close to ${describe(near)}`);
  }
  return small;
}"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(MAIN_PAGES))
def test_layout(open_page, sample, name, width):
    who, url, marker = MAIN_PAGES[name]
    page = open_page(who, width=width, height=844 if width < 600 else 800)
    page.goto(url.format(**vars(sample)))
    expect(page.locator(marker).first).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    overflow = page.evaluate(OVERFLOW)
    assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{name} at {width}px has small tap targets:\n" + "\n".join(small)
