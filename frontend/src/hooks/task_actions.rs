//! `use_task_actions()`: the task list and everything that changes it on the
//! server — load, add, toggle, edit, delete — each shown at once
//! (optimistic) and undone if the server refuses (`TaskAction::undo`).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ops::Deref;
use std::rc::Rc;

use shared::limits::LIST_LIMIT_DEFAULT;
use shared::task::PatchTask;
use shared::Task;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::events::{Announced, Change};
use crate::api::tasks as task_api;
use crate::hooks::api::{use_api, ApiHandle};
use crate::task_list::{TaskAction, TaskList};
use crate::toast::provider::{use_toasts, ToastHandle};
use crate::ux::Ux;

/// Tasks per page: the server's own default.
const PAGE: usize = LIST_LIMIT_DEFAULT as usize;

/// One optimistic change: `shown` is applied now, before this returns; the
/// future then waits for the server's `answer` (the saved task, or `None`
/// for a delete) and shows it — or, if refused, puts `previous` back (drops
/// it if the server says it is gone). It ends with what to toast about a
/// refusal `use_api` has not already shown.
pub(crate) fn optimistic<D: Fn(TaskAction)>(
    dispatch: D,
    previous: Task,
    shown: TaskAction,
    answer: impl Future<Output = Result<Option<Task>, Ux>>,
) -> impl Future<Output = Option<String>> {
    dispatch(shown);
    async move {
        match answer.await {
            Ok(saved) => {
                if let Some(saved) = saved {
                    dispatch(TaskAction::Saved(saved));
                }
                None
            }
            Err(why) => {
                let toast = match &why {
                    Ux::Inline(message) => Some(format!("Not saved: {message}")),
                    Ux::SessionExpired | Ux::Forbidden | Ux::NotFound => None,
                };
                dispatch(TaskAction::undo(previous, &why));
                toast
            }
        }
    }
}

/// A new task the server did not take: what was typed, to put back in the
/// form, and what to say there (`None` when a toast already said it).
pub(crate) struct NotAdded {
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) message: Option<String>,
}

/// The task list to render and the actions on it.
#[derive(Clone)]
pub(crate) struct UseTaskActionsHandle {
    list: UseReducerHandle<TaskList>,
    api: ApiHandle,
    toasts: ToastHandle,
    /// Ids for unsaved tasks: negative, so they never meet a server id.
    next_placeholder: Rc<Cell<i64>>,
    /// The change version the list reflects (the first page's
    /// `X-Change-Version`, then each live event's id): where a live stream
    /// resumes. `None` until the first page is in.
    version: Rc<Cell<Option<i64>>>,
    /// While a first page is being read: the events shown meanwhile, to show
    /// again over that page if they are newer than it.
    reading: Rc<RefCell<Option<Vec<Announced>>>>,
}

impl Deref for UseTaskActionsHandle {
    type Target = TaskList;

    fn deref(&self) -> &TaskList {
        &self.list
    }
}

impl UseTaskActionsHandle {
    /// Loads a page from `offset` (0: the first page, replacing the list).
    pub(crate) fn load(&self, offset: usize) {
        let (api, list, version) = (self.api.clone(), self.list.dispatcher(), self.version.clone());
        list.dispatch(TaskAction::Loading);
        let reading = self.reading.clone();
        if offset == 0 {
            reading.replace(Some(Vec::new()));
        }
        spawn_local(async move {
            let answer = api.run(|uid, token| async move { task_api::list(&uid, &token, offset, PAGE).await }).await;
            let meanwhile = if offset == 0 { reading.take().unwrap_or_default() } else { Vec::new() };
            match answer {
                Ok(page) => {
                    let read_at = page.version.or(version.get()).unwrap_or(0);
                    list.dispatch(TaskAction::Loaded { tasks: page.tasks, total: page.total, append: offset > 0 });
                    if offset == 0 {
                        version.set(Some(read_at));
                        // Events newer than the page: shown again over it.
                        for announced in meanwhile.into_iter().filter(|a| a.version.is_some_and(|v| v > read_at)) {
                            version.set(announced.version);
                            if let Some(action) = Self::action(announced.change) {
                                list.dispatch(action);
                            }
                        }
                    }
                }
                Err(why) => list.dispatch(TaskAction::LoadFailed(why)),
            }
        });
    }

    /// What a change announced by a live event does to the list (`None`:
    /// re-read it).
    fn action(change: Change) -> Option<TaskAction> {
        match change {
            Change::Created(task) => Some(TaskAction::Arrived(task)),
            Change::Updated(task) => Some(TaskAction::Update(task)),
            Change::Deleted(id) => Some(TaskAction::Remove(id)),
            Change::Resync => None,
        }
    }

    /// Where a live stream resumes (`None` before the first page is in).
    pub(crate) fn version(&self) -> Option<i64> {
        self.version.get()
    }

    pub(crate) fn api(&self) -> &ApiHandle {
        &self.api
    }

    /// Shows a change made elsewhere (a live event), by task id: an event
    /// for this tab's own change finds it already shown and changes nothing.
    /// Versions count the user's changes one by one: an event the list
    /// already reflects is skipped, and one that skips a version (this tab
    /// heard the stream's holder only from some point on) re-reads the list.
    pub(crate) fn apply(&self, announced: Announced) {
        let (now, next) = (self.version.get(), announced.version);
        if matches!((now, next), (Some(now), Some(next)) if next <= now) {
            return;
        }
        if let Some(v) = next {
            self.version.set(Some(v));
        }
        let gap = matches!((now, next), (Some(now), Some(next)) if next > now + 1);
        if let (false, Some(action)) = (gap, Self::action(announced.change.clone())) {
            if let Some(meanwhile) = self.reading.borrow_mut().as_mut() {
                meanwhile.push(announced);
            }
            self.list.dispatch(action);
        } else {
            self.load(0);
        }
    }

    /// Loads the next page.
    pub(crate) fn load_more(&self) {
        self.load(self.list.tasks.len());
    }

    /// Adds a task (shown at once as a placeholder); a refusal comes back
    /// through `onrefused` with what was typed.
    pub(crate) fn add(&self, title: String, description: String, onrefused: Callback<NotAdded>) {
        let placeholder_id = self.next_placeholder.get() - 1;
        self.next_placeholder.set(placeholder_id);
        let list = self.list.dispatcher();
        list.dispatch(TaskAction::Upsert(Task {
            id: placeholder_id,
            user_id: self.api.user_id().unwrap_or_default(),
            title: title.clone(),
            description: description.clone(),
            completed: false,
            created_at: String::new(),
            updated_at: String::new(),
        }));
        let api = self.api.clone();
        spawn_local(async move {
            let call = |uid: String, token: String| {
                let (title, description) = (title.clone(), description.clone());
                async move {
                    let description = (!description.is_empty()).then_some(description.as_str());
                    task_api::create(&uid, &token, &title, description).await
                }
            };
            match api.run(call).await {
                Ok(task) => list.dispatch(TaskAction::Swap(placeholder_id, task)),
                Err(why) => {
                    list.dispatch(TaskAction::Remove(placeholder_id));
                    let message = match why {
                        Ux::Inline(message) => Some(format!("Not added: {message}")),
                        Ux::SessionExpired | Ux::Forbidden | Ux::NotFound => None,
                    };
                    onrefused.emit(NotAdded { title, description, message });
                }
            }
        });
    }

    pub(crate) fn toggle(&self, task: Task) {
        let shown = TaskAction::Upsert(Task { completed: !task.completed, ..task.clone() });
        let (api, id) = (self.api.clone(), task.id);
        self.change(task, shown, async move {
            api.run(|uid, token| async move { task_api::toggle(&uid, &token, id).await.map(Some) }).await
        });
    }

    /// Saves a new title and details (`edited`) for `task`.
    pub(crate) fn save(&self, task: Task, edited: Task) {
        let patch = PatchTask {
            title: (edited.title != task.title).then(|| edited.title.clone()),
            description: (edited.description != task.description).then(|| edited.description.clone()),
            ..Default::default()
        };
        let (api, id) = (self.api.clone(), task.id);
        self.change(task, TaskAction::Upsert(edited), async move {
            api.run(|uid, token| {
                let patch = patch.clone();
                async move { task_api::update(&uid, &token, id, &patch).await.map(Some) }
            })
            .await
        });
    }

    pub(crate) fn delete(&self, task: Task) {
        let (api, id) = (self.api.clone(), task.id);
        self.change(task, TaskAction::Remove(id), async move {
            api.run(|uid, token| async move { task_api::delete(&uid, &token, id).await.map(|()| None) }).await
        });
    }

    /// Deletes every completed task (each one on its own: one refusal puts
    /// back only that task).
    pub(crate) fn clear_completed(&self) {
        for task in self.list.tasks.iter().filter(|t| t.completed) {
            self.delete(task.clone());
        }
    }

    fn change(
        &self,
        previous: Task,
        shown: TaskAction,
        answer: impl Future<Output = Result<Option<Task>, Ux>> + 'static,
    ) {
        let (list, toasts) = (self.list.dispatcher(), self.toasts.clone());
        let settled = optimistic(move |action| list.dispatch(action), previous, shown, answer);
        spawn_local(async move {
            if let Some(message) = settled.await {
                toasts.error(message);
            }
        });
    }
}

/// Loads the first page when the list is first shown.
#[hook]
pub(crate) fn use_task_actions() -> UseTaskActionsHandle {
    let handle = UseTaskActionsHandle {
        list: use_reducer(TaskList::default),
        api: use_api(),
        toasts: use_toasts(),
        next_placeholder: (*use_memo((), |_| Rc::new(Cell::new(0)))).clone(),
        version: (*use_memo((), |_| Rc::new(Cell::new(None)))).clone(),
        reading: (*use_memo((), |_| Rc::new(RefCell::new(None)))).clone(),
    };
    {
        let handle = handle.clone();
        use_effect_with((), move |_| handle.load(0));
    }
    handle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task_list::tests::{loaded, task};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A list driven by `optimistic` the way the hook drives its reducer.
    struct Harness {
        list: RefCell<Rc<TaskList>>,
    }

    impl Harness {
        fn new(tasks: Vec<Task>) -> Rc<Harness> {
            Rc::new(Harness { list: RefCell::new(loaded(tasks)) })
        }

        fn dispatch(self: &Rc<Self>) -> impl Fn(TaskAction) {
            let harness = self.clone();
            move |action| {
                let next = harness.list.borrow().clone().reduce(action);
                *harness.list.borrow_mut() = next;
            }
        }

        fn now(&self) -> Rc<TaskList> {
            self.list.borrow().clone()
        }
    }

    /// The server's answer, checked to come after the change was shown.
    fn answer(
        harness: &Rc<Harness>,
        shown: impl Fn(&TaskList) -> bool + 'static,
        answer: Result<Option<Task>, Ux>,
    ) -> impl Future<Output = Result<Option<Task>, Ux>> {
        let harness = harness.clone();
        async move {
            assert!(shown(&harness.now()), "the change is on screen while the server is asked");
            answer
        }
    }

    fn completed(list: &TaskList, id: i64) -> Option<bool> {
        list.tasks.iter().find(|t| t.id == id).map(|t| t.completed)
    }

    #[test]
    async fn a_refused_toggle_is_undone() {
        for why in [Ux::Forbidden, Ux::SessionExpired, Ux::Inline("down".into())] {
            let harness = Harness::new(vec![task(2, false), task(1, false)]);
            let before = harness.now();
            let shown = TaskAction::Upsert(Task { completed: true, ..task(1, false) });

            let settled = optimistic(harness.dispatch(), task(1, false), shown, async { Err(why.clone()) });
            assert_eq!(completed(&harness.now(), 1), Some(true), "applied at once, before any answer");
            let toast = settled.await;

            assert_eq!(*harness.now(), *before, "rolled back after {why:?}");
            let expected = matches!(why, Ux::Inline(_)).then(|| "Not saved: down".to_owned());
            assert_eq!(toast, expected, "a toast only when use_api showed nothing");
        }
    }

    #[test]
    async fn a_refused_edit_is_undone() {
        let harness = Harness::new(vec![task(1, false)]);
        let edited = Task { title: "new title".into(), ..task(1, false) };
        let server = answer(&harness, |l| l.tasks[0].title == "new title", Err(Ux::Inline("too long".into())));

        let toast = optimistic(harness.dispatch(), task(1, false), TaskAction::Upsert(edited), server).await;

        assert_eq!(harness.now().tasks[0].title, "t1");
        assert_eq!(toast.as_deref(), Some("Not saved: too long"));
    }

    #[test]
    async fn a_refused_delete_puts_the_task_back_in_its_place() {
        let harness = Harness::new(vec![task(3, false), task(2, true), task(1, false)]);
        let before = harness.now();
        let server = answer(&harness, |l| l.tasks.len() == 2 && l.total == 2, Err(Ux::Forbidden));

        let toast = optimistic(harness.dispatch(), task(2, true), TaskAction::Remove(2), server).await;

        assert_eq!(*harness.now(), *before);
        assert_eq!(toast, None, "use_api already toasted the 403");
    }

    #[test]
    async fn a_404_drops_the_task() {
        for shown in [TaskAction::Upsert(Task { completed: true, ..task(1, false) }), TaskAction::Remove(1)] {
            let harness = Harness::new(vec![task(2, false), task(1, false)]);

            let toast = optimistic(harness.dispatch(), task(1, false), shown, async { Err(Ux::NotFound) }).await;

            let list = harness.now();
            assert_eq!((list.tasks.iter().map(|t| t.id).collect::<Vec<_>>(), list.total), (vec![2], 1));
            assert_eq!(toast, None, "use_api already toasted \"Task not found\"");
        }
    }

    #[test]
    async fn an_accepted_change_shows_what_the_server_saved() {
        let harness = Harness::new(vec![task(1, false)]);
        let saved = Task { completed: true, updated_at: "later".into(), ..task(1, false) };
        let shown = TaskAction::Upsert(Task { completed: true, ..task(1, false) });

        let toast = optimistic(harness.dispatch(), task(1, false), shown, async { Ok(Some(saved.clone())) }).await;

        assert_eq!(harness.now().tasks, [saved]);
        assert_eq!(toast, None);
    }
}
