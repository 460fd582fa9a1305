/**
 * The API level each call is sent at. The agent's own inventory (reference §2.0) is followed
 * where it pins one; `undefined` means unversioned (the server's newest). Where the agent
 * pins an old level for a read whose answer we need in the modern shape, we pin the first
 * level that has those fields (noted per entry) so that old-shape conversions never apply.
 */
export const endpointVersions = {
  'auth.login': undefined,
  'server.info': undefined,
  'queues.get_default': '2.5',
  'queues.get_all': '2.5',
  'queues.get_by_id': '2.5',
  'queues.create': '2.5',
  'queues.get_next_task': '2.14',
  'queues.update': undefined,
  'queues.add_task': undefined,
  'queues.remove_task': undefined,
  'queues.peek_task': undefined,
  'queues.get_num_entries': undefined,
  'workers.register': undefined,
  'workers.unregister': undefined,
  'workers.status_report': undefined,
  'workers.get_all': '2.5',
  'workers.get_runtime_properties': undefined,
  'workers.set_runtime_properties': undefined,
  // The agent reads get_by_id at 2.5 and then `container` again at 2.14; 2.13 returns both.
  'tasks.get_by_id': '2.13',
  // 2.14 is what the agent's status polling uses (search_hidden); 2.15 for runtime via option.
  'tasks.get_all': '2.14',
  'tasks.started': '2.5',
  'tasks.stopped': '2.5',
  'tasks.completed': '2.5',
  'tasks.failed': '2.5',
  'tasks.ping': '2.5',
  'tasks.set_requirements': '2.5',
  'tasks.clone': '2.5',
  // clone with new_task_hyperparams / new_task_container needs 2.13.
  'tasks.clone+container': '2.13',
  'tasks.dequeue': undefined,
  'tasks.edit': undefined,
  'tasks.get_hyper_params': undefined,
  'tasks.edit_hyper_params': undefined,
  'tasks.create': undefined,
  'tasks.enqueue': undefined,
  'tasks.stop': undefined,
  'tasks.reset': undefined,
  'events.add_batch': undefined,
  'events.get_task_log': undefined,
  'projects.get_all': undefined,
  'projects.create': undefined,
} as const satisfies Record<string, string | undefined>;
