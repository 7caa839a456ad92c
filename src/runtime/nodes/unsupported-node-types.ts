/**
 * Node types the runtime catalog registers but the reference runtime cannot execute (it has no
 * email parser): publishing warns about them (`NODE_TYPE_NOT_EXECUTED`) and a run that reaches one
 * fails with a `ValidationError`.
 */
export const UNSUPPORTED_NODE_TYPES: ReadonlySet<string> = new Set(["email.parseBody", "email.renderCommentBlocks"]);
