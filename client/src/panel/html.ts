/**
 * The inspector's HTML: a static skeleton that media/src/panel.ts fills in.
 * A pure function (no vscode import) so the browser test renders the very
 * same page. No model data ever passes through here: the webview receives it
 * as messages and writes it with textContent.
 */
import { SAMPLING_LIMITS } from '../../../protocol/generation';

export interface InspectorHtmlOptions {
	/** webview.cspSource: the origin the webview may load styles and images from. */
	cspSource: string;
	/** Fresh per load; only scripts carrying it run. */
	nonce: string;
	scriptUri: string;
	styleUri: string;
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' };

/** For double-quoted attribute values (single quotes stay readable in the CSP). */
function attr(value: string): string {
	return value.replace(/[&"<>]/g, (c) => ATTRIBUTE_ESCAPES[c]);
}

function numberInput(id: string, limits: { min: number; max: number; step: number }): string {
	return `<input id="${id}" type="number" min="${limits.min}" max="${limits.max}" step="${limits.step}" required>`;
}

export function renderInspectorHtml(options: InspectorHtmlOptions): string {
	const csp = [
		"default-src 'none'",
		`style-src ${options.cspSource}`,
		`img-src ${options.cspSource}`,
		`font-src ${options.cspSource}`,
		`script-src 'nonce-${options.nonce}'`,
	].join('; ');
	const L = SAMPLING_LIMITS;
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(options.styleUri)}">
<title>Glassbox Inspector</title>
</head>
<body>
<main class="app">
	<form id="prompt-form" class="prompt-form" aria-label="Prompt the model">
		<label class="field-label" for="prompt">Prompt</label>
		<textarea id="prompt" rows="4" spellcheck="false" placeholder="def fibonacci(n):" aria-describedby="prompt-hint"></textarea>
		<p id="prompt-hint" class="hint">Ctrl+Enter generates.</p>
		<details id="sampling" class="sampling">
			<summary>Sampling <span id="sampling-summary" class="muted"></span></summary>
			<div class="sampling-grid">
				<label class="check"><input id="greedy" type="checkbox"> Greedy: always take the most likely token</label>
				<label for="max-new-tokens">Max new tokens</label>${numberInput('max-new-tokens', L.maxNewTokens)}
				<label for="temperature">Temperature</label>${numberInput('temperature', L.temperature)}
				<label for="top-k">Top-k <span class="muted">(0: off)</span></label>${numberInput('top-k', L.topK)}
				<label for="top-p">Top-p <span class="muted">(1: off)</span></label>${numberInput('top-p', L.topP)}
				<label for="seed">Seed</label>${numberInput('seed', L.seed)}
			</div>
		</details>
		<div class="actions">
			<button id="generate" type="submit">Generate</button>
			<button id="stop" type="button" class="secondary" disabled>Stop</button>
		</div>
		<p id="model-status" class="model-status" role="status"></p>
	</form>

	<section id="history-bar" class="history-bar" aria-label="Session history" hidden>
		<label class="field-label" for="history">Generation</label>
		<select id="history"></select>
		<div class="actions">
			<button id="insert" type="button" class="secondary" title="Insert the output at the cursor of the last active editor">Insert</button>
			<button id="copy" type="button" class="secondary" title="Copy the output to the clipboard">Copy</button>
			<button id="clear-history" type="button" class="secondary" title="Forget this session's finished generations">Clear History</button>
			<button id="history-inspect-last" type="button" class="secondary" title="Show the inline suggestion the model made last">Last Suggestion</button>
		</div>
	</section>

	<p id="notice" class="notice" role="status" hidden></p>

	<section id="empty" class="empty">
		<p>Write a prompt and press Generate to see each token the model chose, how sure it was, and what it looked at.</p>
		<p>Or inspect the inline suggestion the model made last.</p>
		<button id="inspect-last" type="button" class="secondary">Inspect Last Suggestion</button>
	</section>

	<section id="generation" class="generation" aria-labelledby="gen-title" hidden>
		<h2 id="gen-title" class="gen-title"></h2>
		<p id="gen-meta" class="muted"></p>
		<p id="gen-error" class="error" role="alert" hidden></p>
		<p id="gen-note" class="note" hidden></p>
		<div id="legend" class="legend" role="group" aria-label="Token probability colours"></div>
		<div id="attention-legend" class="attention-legend" hidden>
			<span id="attention-legend-title" class="legend-title"></span>
			<span class="scale" aria-hidden="true"><span>0</span><span class="scale-bar"></span><span>1</span></span>
			<span class="muted">Esc: back to probabilities</span>
		</div>
		<div id="output" class="output">
			<details id="prompt-tokens" class="prompt-tokens">
				<summary id="prompt-summary">Prompt</summary>
				<div id="prompt-strip" class="strip prompt-strip"></div>
			</details>
			<div id="token-strip" class="strip"></div>
			<div id="token-card" class="token-card" role="tooltip" hidden></div>
		</div>
		<section id="summary" class="summary" aria-label="Summary"></section>
		<details id="attention" class="attention" open>
			<summary>Attention</summary>
			<p id="attention-message" class="muted" hidden></p>
			<div id="attention-body" hidden>
				<div class="selectors">
					<label for="layer">Layer</label><select id="layer"></select>
					<label for="head">Head</label><select id="head"></select>
				</div>
				<p id="selection-info" class="selection-info" aria-live="polite"></p>
				<div class="heatmap-wrap"><canvas id="heatmap" class="heatmap" tabindex="0" width="0" height="0"></canvas></div>
				<div class="attention-scale" aria-hidden="true"><span>0</span><span class="scale-bar"></span><span>1 (square-root scale)</span></div>
				<p id="heatmap-readout" class="readout" role="status"></p>
				<p class="hint">Rows are query tokens: the token being read, whose output predicts the next token. Columns are the tokens it looks at. Arrow keys move over the cells. Select a token in the text (click it, or Enter) to see where it looked.</p>
			</div>
		</details>
	</section>
</main>
<script nonce="${attr(options.nonce)}" src="${attr(options.scriptUri)}"></script>
</body>
</html>
`;
}
