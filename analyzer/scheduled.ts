/**
 * Cron entry of the analyzer. The run loop is added with the analyzer store;
 * until then a scheduled event only logs that it fired.
 */
export async function handleScheduled(controller: ScheduledController): Promise<void> {
  console.log(JSON.stringify({ msg: "analyzer tick", scheduledTime: controller.scheduledTime }));
}
