// node22.mjs — what the current JS IPFS stack (Helia 7 era, libp2p 3.x)
// expects of Node 22 and Debian's Node 20 lacks.  Import it first: ES
// modules evaluate their imports in order, so a module imported before the
// stack is loaded patches the globals before any of the stack runs.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
