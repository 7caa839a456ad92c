/** What resumes a waiting step: an event or a human task's completion (each with its event id), or a timer. */
export type WaitDelivery =
  | { kind: "event"; eventName: string; payload: unknown; eventId: string }
  | { kind: "human"; eventName: string; payload: unknown; eventId: string }
  | { kind: "timer" }
  | { kind: "timeout" };

/** The event a delivery carries, or `null` for a timer or a timeout. */
export function deliveredEventOf(
  delivery: WaitDelivery,
): { eventName: string; payload: unknown; eventId: string } | null {
  return delivery.kind === "event" || delivery.kind === "human" ? delivery : null;
}
