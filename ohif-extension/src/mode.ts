/**
 * The "Dafne review" mode (default export, loaded by URL): OHIF's segmentation mode, copied, with
 * the Dafne review panel first on the right and our extension among its dependencies. Route:
 * /viewer/dafne-review?StudyInstanceUIDs=...
 */
import { EXTENSION_URL, MODE_ID, PANEL_ID } from './ids.js';
import type { ModeInstance, ModeModule } from './ohif-types.js';

const mode: ModeModule = {
  id: MODE_ID,
  async modeFactory({ modeConfiguration, loadModules }) {
    const [segmentation] = (await loadModules(['@ohif/mode-segmentation'])) as ModeModule[];
    const base = segmentation?.modeInstance;
    if (!base || !Array.isArray(base.routes)) throw new Error('Dafne review: @ohif/mode-segmentation has no modeInstance; was the OHIF version changed?');
    const instance: ModeInstance = {
      ...base,
      id: MODE_ID,
      routeName: MODE_ID,
      displayName: 'Dafne review',
      // Keys go through OHIF's module loader: our extension by its URL.
      extensions: { ...base.extensions, [EXTENSION_URL]: '^0.1.0' },
      routes: base.routes.map((route) => ({
        ...route,
        layoutInstance: {
          ...route.layoutInstance,
          props: { ...route.layoutInstance.props, rightPanels: [PANEL_ID, ...(route.layoutInstance.props.rightPanels ?? [])], rightPanelClosed: false },
        },
      })),
    };
    // The basic modes' factory applies site configuration (immutability-helper commands) onto `this.modeInstance`.
    return segmentation.modeFactory.call({ modeInstance: instance }, { modeConfiguration, loadModules });
  },
  extensionDependencies: { [EXTENSION_URL]: '^0.1.0' },
};

export default mode;
