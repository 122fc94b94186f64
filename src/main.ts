import { ConfigError, loadConfig } from './config/load.js';
import { runCommand, USAGE } from './cli/commands.js';

/** dafne-node CLI entry (DESIGN §3): parse the command, load config, start what it names. */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dafne-node: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  return runCommand(command, args, config);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined && code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`dafne-node: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
