// `import React from 'react'` in this package resolves here (build.mjs): the viewer's instance.
import { findHostReact } from '../host-react.js';

const React = findHostReact();
export default React;
export const { createElement, Fragment, useState, useEffect, useCallback, useMemo, useRef } = React;
