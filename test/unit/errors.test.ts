import { expect } from "chai";
import { issue, renderIssueMessage } from "../../src/errors.js";

describe("errors: messages that say how to fix", () => {
  const runId = "7d9334cd-09b9-4f16-b11e-2afc3fcfb9f4";
  const eventWait = {
    waitType: "event",
    eventName: "TICKET_UPDATED",
    correlationKey: "t-1",
    stepPath: "root.steps[0]",
  };

  it("NO_MATCHING_WAIT for a timer names what the run waits for and the command that delivers it", () => {
    const message = renderIssueMessage(
      issue("NO_MATCHING_WAIT", { runId, eventName: null, correlationKey: null, waiting: eventWait }),
    );
    expect(message).to.include("not waiting for a timer").and.not.include("(timer)");
    expect(message).to.include('waits at root.steps[0] for event "TICKET_UPDATED" with correlation key "t-1"');
    expect(message).to.include(
      `\`workflow-seeder resume --run ${runId} --event TICKET_UPDATED --correlation-key t-1 --payload '<json>'\``,
    );
  });

  it("NO_MATCHING_WAIT for an event when the run waits on a timer says to fire the timer", () => {
    const message = renderIssueMessage(
      issue("NO_MATCHING_WAIT", {
        runId,
        eventName: "X",
        correlationKey: null,
        waiting: { waitType: "time", eventName: null, correlationKey: null, stepPath: "root.steps[2]" },
      }),
    );
    expect(message).to.include('not waiting for event "X"');
    expect(message).to.include(
      `waits at root.steps[2] for a timer. Fire it with \`workflow-seeder resume --run ${runId}\``,
    );
  });
});
