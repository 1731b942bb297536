// @rjsf/core's test helper imports the ajv8 validator, which the CSP (no unsafe-eval) cannot run; the
// console passes its own validator to every form, so that import resolves here and is never used.
const unavailable = new Proxy(
  {},
  {
    get() {
      throw new Error('The compiling JSON Schema validator is not available in the console');
    },
  },
);
export default unavailable;
