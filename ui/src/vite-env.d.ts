// Ambient types for Vite and Svelte component imports.
/// <reference types="svelte" />
/// <reference types="vite/client" />
