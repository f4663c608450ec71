import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import {
  formatKiB,
  INITIAL_LOAD_BUDGET_BYTES,
  measureInitialLoad,
  precompressAssets,
} from './scripts/dashboard-assets.ts'

const root = fileURLToPath(new URL('./web', import.meta.url))
const outDir = fileURLToPath(new URL('./web/dist', import.meta.url))

/** After the build: precompress the assets, print the initial load and fail above the budget. */
function dashboardBudget(): Plugin {
  return {
    name: 'cloudy-dashboard-budget',
    apply: 'build',
    async closeBundle() {
      await precompressAssets(`${outDir}/assets`)
      const load = await measureInitialLoad(outDir)
      const line = `dashboard initial load: ${formatKiB(load.gzipBytes)} gzipped (${formatKiB(load.bytes)} raw, ${load.files.length} files; budget ${formatKiB(INITIAL_LOAD_BUDGET_BYTES)})`
      console.log(line)
      if (load.gzipBytes > INITIAL_LOAD_BUDGET_BYTES) throw new Error(`over budget: ${line}`)
    },
  }
}

// The dashboard (docs/dashboard.md): Preact, JSX compiled by Oxc with Preact's automatic runtime.
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  // `CLOUDY_API=http://127.0.0.1:PORT npx vite` serves the sources against a running node
  server: { proxy: { '/api': process.env.CLOUDY_API ?? 'http://127.0.0.1:7780' } },
  plugins: [dashboardBudget()],
})
