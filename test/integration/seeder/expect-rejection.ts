import { isWorkflowSeederError, type WorkflowSeederError } from "../../../src/index.js";

/** The WorkflowSeederError a call rejects with; fails the test when it succeeds or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<WorkflowSeederError> {
  try {
    await promise;
  } catch (error) {
    if (isWorkflowSeederError(error)) return error;
    throw error;
  }
  throw new Error("expected a WorkflowSeederError, the call succeeded");
}
