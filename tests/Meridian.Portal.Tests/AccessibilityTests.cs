using System.Text.Json;

namespace Meridian.Portal.Tests;

/// <summary>
/// Structure a screen reader relies on, on every view with every form opened: one banner, one navigation, one main,
/// one h1, and no control without an accessible name.
/// </summary>
public sealed class AccessibilityTests(PortalFixture portal)
{
    // Opens every disclosure (aria-expanded=false), then lists what is missing. Names are checked the way browsers
    // compute them for these elements: a <label>, aria-label(ledby), or (buttons, links) their text.
    private const string Audit = """
        async () => {
          for (let i = 0; i < 20; i++) {
            const closed = [...document.querySelectorAll('main button[aria-expanded="false"]')];
            if (closed.length === 0) break;
            closed.forEach(b => b.click());
            await new Promise(r => setTimeout(r, 50));
          }
          await new Promise(r => setTimeout(r, 200));
          const named = e => (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')
            || ((e.tagName === 'BUTTON' || e.tagName === 'A') && e.textContent.trim().length > 0);
          const problems = [];
          for (const e of document.querySelectorAll('input, select, textarea, button, a[href]')) {
            if (!named(e)) problems.push('unnamed ' + e.outerHTML.slice(0, 120));
          }
          const count = s => document.querySelectorAll(s).length;
          if (count('header[role="banner"], body > div > header') < 1) problems.push('no banner');
          if (count('nav[aria-label]') !== 1) problems.push('navigation landmarks: ' + count('nav[aria-label]'));
          if (count('main') !== 1) problems.push('main landmarks: ' + count('main'));
          if (count('main h1') !== 1) problems.push('h1 count: ' + count('main h1'));
          const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
          const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
          if (dup.length) problems.push('duplicate ids: ' + [...new Set(dup)].join(', '));
          return problems;
        }
        """;

    [Fact]
    public async Task Every_view_has_landmarks_one_heading_and_named_controls()
    {
        await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken);
        var found = new List<string>();
        foreach (var view in await portal.AllViewsAsync())
        {
            await tab.OpenAsync(view);
            var problems = await tab.Page.EvaluateAsync<JsonElement>(Audit);
            found.AddRange(problems.EnumerateArray().Select(p => $"{view}: {p.GetString()}"));
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
        tab.AssertNoErrors();
    }

    // Every WCAG 2.1 A/AA rule axe has, on the view as loaded; only violations of serious or critical impact fail.
    private const string Axe = """
        async () => {
          const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
          return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
        }
        """;

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_any_view_on_desktop_or_phone()
    {
        var found = new List<string>();
        foreach (var viewport in new[] { new Microsoft.Playwright.ViewportSize { Width = 1280, Height = 900 }, new Microsoft.Playwright.ViewportSize { Width = 390, Height = 844 } })
        {
            await using var tab = await portal.NewPageAsync(PortalFixture.OperatorToken, viewport, bypassCsp: true);
            foreach (var view in await portal.AllViewsAsync())
            {
                await tab.OpenAsync(view);
                await tab.Page.AddScriptTagAsync(new() { Path = PortalFixture.AxeScript });
                var violations = await tab.Page.EvaluateAsync<string[]>(Axe);
                found.AddRange(violations.Select(v => $"{view} at {viewport.Width} px: {v}"));
            }
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }
}
