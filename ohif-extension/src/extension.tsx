/**
 * The Dafne review extension for OHIF 3.13 (default export, loaded by URL from app-config.js):
 * - preRegistration: every viewer request carries the reader's bearer token (sessionStorage,
 *   put there by the node's /review sign-in), through OHIF's userAuthenticationService, which the
 *   DICOMweb data source, the image loader and STOW all ask for headers;
 * - panelModule "review": the review panel (src/panel.tsx).
 */
import React from 'react';
import { authHeader } from './api.js';
import { EXTENSION_ID, PANEL_NAME } from './ids.js';
import type { ExtensionParams, ServicesManager } from './ohif-types.js';
import { ReviewPanel } from './panel.js';

const extension = {
  id: EXTENSION_ID,
  preRegistration({ servicesManager }: { servicesManager: ServicesManager }) {
    // Signed in on /review: our token. Otherwise leave OHIF's own (e.g. OIDC) implementation alone.
    if (!authHeader().Authorization) return;
    servicesManager.services.userAuthenticationService.setServiceImplementation({
      // Read per request: signing in again in this tab takes effect without a reload.
      getAuthorizationHeader: () => {
        const h = authHeader();
        return h.Authorization ? h : undefined;
      },
    });
  },
  getPanelModule(params: ExtensionParams) {
    // A handle for diagnostics from the browser console and for the e2e test's waits.
    (window as unknown as { dafneReview?: ExtensionParams }).dafneReview = params;
    const Panel = () => <ReviewPanel {...params} />;
    return [{ name: PANEL_NAME, iconName: 'tab-segmentation', iconLabel: 'Dafne', label: 'Dafne review', component: Panel }];
  },
};

export default extension;
