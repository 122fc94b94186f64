/**
 * The part of OHIF 3.13's runtime API this extension uses, declared here: @ohif/core publishes its
 * types as TypeScript source (src/types/index.ts) that imports its whole peer tree (cornerstone,
 * dicom-image-loader, codecs), which cannot be type-checked without installing all of it.
 */
export interface PubSubService {
  subscribe(event: string, fn: (...args: unknown[]) => void): { unsubscribe(): void };
  EVENTS: Record<string, string>;
}

export interface DisplaySet {
  displaySetInstanceUID: string;
  SeriesInstanceUID: string;
  StudyInstanceUID: string;
  Modality: string;
  referencedDisplaySetInstanceUID?: string;
  isLoaded?: boolean;
  instances?: { SOPInstanceUID: string; SOPClassUID: string; NumberOfFrames?: number | string }[];
}

export interface DisplaySetService extends PubSubService {
  getActiveDisplaySets(): DisplaySet[];
  getDisplaySetByUID(uid: string): DisplaySet | undefined;
}

export interface Segmentation {
  segmentationId: string;
  label?: string;
  segments: Record<string, { segmentIndex: number; label: string } | undefined>;
}

export interface SegmentationService extends PubSubService {
  getSegmentation(id: string): Segmentation | undefined;
  getSegmentations(): Segmentation[];
  getActiveSegmentation(viewportId: string): Segmentation | undefined;
  setActiveSegment(segmentationId: string, segmentIndex: number): void;
}

export interface ViewportGridService extends PubSubService {
  getActiveViewportId(): string;
  getState(): { viewports: Map<string, { displaySetInstanceUIDs: string[] }> };
}

export interface PanelService {
  activatePanel(panelId: string, forceActive?: boolean): void;
}

export interface UserAuthenticationService {
  setServiceImplementation(impl: { getAuthorizationHeader?: () => Record<string, string> | undefined }): void;
}

export interface UINotificationService {
  show(o: { title: string; message: string; type?: 'info' | 'success' | 'error' | 'warning'; duration?: number }): void;
}

export interface Services {
  displaySetService: DisplaySetService;
  segmentationService: SegmentationService;
  viewportGridService: ViewportGridService;
  panelService: PanelService;
  userAuthenticationService: UserAuthenticationService;
  uiNotificationService?: UINotificationService;
}

export interface ServicesManager {
  services: Services;
}

export interface CommandsManager {
  runCommand(name: string, options?: Record<string, unknown>, context?: string): unknown;
}

export interface ExtensionManager {
  activeDataSourceName?: string;
}

export interface ExtensionParams {
  servicesManager: ServicesManager;
  commandsManager: CommandsManager;
  extensionManager: ExtensionManager;
}

/** A mode as 3.13 loads it: `modeFactory` is called with `loadModules` for built-in modes. */
export interface ModeModule {
  id: string;
  modeFactory(this: unknown, args: { modeConfiguration?: unknown; loadModules(names: string[]): Promise<unknown[]> }): unknown;
  modeInstance?: ModeInstance;
  extensionDependencies?: Record<string, string>;
  customizations?: Record<string, unknown>;
}

export interface ModeRoute {
  path: string;
  layoutTemplate: (this: ModeRoute, ...args: unknown[]) => unknown;
  layoutInstance: { id: string; props: { rightPanels?: string[]; [k: string]: unknown } };
}

export interface ModeInstance {
  id: string;
  routeName: string;
  displayName: string;
  routes: ModeRoute[];
  extensions: Record<string, string>;
  onModeEnter?: (this: ModeInstance & { _unsubscriptions?: (() => void)[] }, ctx: ExtensionParams) => void;
  modeCustomizations?: unknown;
  [k: string]: unknown;
}
