/**
 * Small DOM helpers. Text goes in through textContent only: model output is
 * data, never markup, so nothing here accepts HTML (string children become
 * text nodes).
 */

export interface ElementProps {
	className?: string;
	text?: string;
	attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
	tag: K,
	props: ElementProps = {},
	...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
	const node = document.createElement(tag);
	if (props.className) {
		node.className = props.className;
	}
	if (props.text !== undefined) {
		node.textContent = props.text;
	}
	for (const [name, value] of Object.entries(props.attrs ?? {})) {
		node.setAttribute(name, value);
	}
	node.append(...children);
	return node;
}

/** The element with this id, checked to be of the expected class (the skeleton is in html.ts). */
export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
	const node = document.getElementById(id);
	if (!(node instanceof type)) {
		throw new Error(`Inspector page is missing #${id}`);
	}
	return node;
}

export function clear(node: Node): void {
	while (node.firstChild) {
		node.removeChild(node.firstChild);
	}
}

/** Resolves a CSS colour expression (e.g. a theme variable) to what the canvas accepts. */
export function resolveColor(probe: HTMLElement, cssColor: string): string {
	probe.style.color = cssColor;
	return getComputedStyle(probe).color;
}
