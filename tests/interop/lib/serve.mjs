// serve.mjs — the command loop of the node scripts that a shell test
// drives as a coprocess (trove_lib.sh's js): each line on stdin is a
// command name and its arguments, separated by blanks; each answer is one
// JSON line on stdout, {"error": "..."} when the command is unknown or
// throws, so that the test sees every failure as an answer and not as a
// hang.  Commands run one at a time, in order.
//
//   await serve(commands, { timed: ['cat'] })   // returns when stdin ends
//
// timed: the commands whose answer (an object) gains ms, the milliseconds
// the command took.
import { createInterface } from 'node:readline'

export async function serve (commands, { timed = [] } = {}) {
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, ...args] = line.trim().split(/\s+/)
    if (!cmd) continue
    let out
    try {
      if (!Object.hasOwn(commands, cmd)) throw new Error(`unknown command ${cmd}`)
      const t0 = Date.now()
      out = await commands[cmd](...args)
      if (timed.includes(cmd) && out != null && typeof out === 'object' && !Array.isArray(out)) {
        out = { ...out, ms: Date.now() - t0 }
      }
    } catch (e) {
      out = { error: String(e?.stack ?? e) }
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  }
}
