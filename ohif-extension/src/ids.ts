/** Names shared by the extension and the mode (the panel is referenced by namespace). */
export const EXTENSION_ID = 'dafne-review';
/** The URL the node serves the extension at; a mode's `extensions` keys go through OHIF's loader. */
export const EXTENSION_URL = '/viewer-ext/extension.js';
export const PANEL_NAME = 'review';
export const PANEL_ID = `${EXTENSION_ID}.panelModule.${PANEL_NAME}`;
export const MODE_ID = 'dafne-review';
/** sessionStorage key the node's /review page stores the reader's token under. */
export const TOKEN_KEY = 'dafne.token';
export const DATA_SOURCE = 'dafne';
