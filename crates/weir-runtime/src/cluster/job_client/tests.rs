use super::*;
use crossbeam_channel::{Receiver, unbounded};

fn client() -> (JobClient, Arc<JobControl>, Receiver<JobMessage>) {
    let (wake, woken) = unbounded();
    let control = JobControl::new(JobId([7; 16]), "test job", None, wake);
    (JobClient::new(Arc::clone(&control)), control, woken)
}

fn result(status: JobStatus) -> JobExecutionResult {
    JobExecutionResult {
        job_id: JobId([7; 16]),
        job_name: "test job".into(),
        status,
        duration: Duration::from_millis(5),
        operators: Vec::new(),
        restarts: 0,
        checkpoints: Vec::new(),
    }
}

#[test]
fn a_client_is_cheap_to_share_between_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<JobClient>();
}

#[test]
fn cancel_is_passed_on_once_and_wakes_the_job_manager() {
    let (client, control, woken) = client();
    control.set_status(JobStatus::Running);
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    assert!(control.cancel_requested());
    assert!(matches!(woken.try_recv(), Ok(JobMessage::CancelRequested)));
    assert_eq!(client.status(), JobStatus::Cancelling);
    assert_eq!(client.clone().cancel(), CancelOutcome::AlreadyCancelling);
    assert!(woken.try_recv().is_err(), "a second request sends nothing");
}

#[test]
fn a_job_being_cancelled_stays_cancelling_until_it_ended() {
    let (client, control, _woken) = client();
    assert_eq!(client.status(), JobStatus::Created);
    client.cancel();
    control.set_status(JobStatus::Running);
    control.set_status(JobStatus::Restarting);
    assert_eq!(client.status(), JobStatus::Cancelling);
    control.complete(Ok(result(JobStatus::Cancelled)));
    assert_eq!(client.status(), JobStatus::Cancelled);
    control.set_status(JobStatus::Running);
    assert_eq!(client.status(), JobStatus::Cancelled, "an ended job's status never changes");
    assert_eq!(client.cancel(), CancelOutcome::AlreadyEnded(JobStatus::Cancelled));
}

#[test]
fn every_waiter_gets_a_finished_job_s_result() {
    let (client, control, _woken) = client();
    let other = client.clone();
    let waiter = std::thread::spawn(move || other.wait().map(|r| r.status));
    control.complete(Ok(result(JobStatus::Finished)));
    assert_eq!(waiter.join().expect("waiter").expect("finished"), JobStatus::Finished);
    assert_eq!(client.wait().expect("finished").status, JobStatus::Finished);
    assert_eq!(client.status(), JobStatus::Finished);
}

#[test]
fn a_failure_goes_to_the_first_waiter_and_its_text_to_the_others() {
    let (client, control, _woken) = client();
    control.complete(Err(JobError::InvalidJob("no sink".into())));
    assert_eq!(client.status(), JobStatus::Failed);
    let first = client.wait().expect_err("failed");
    assert!(matches!(first, JobError::InvalidJob(_)), "{first:?}");
    let second = client.clone().wait().expect_err("failed");
    assert!(matches!(second, JobError::AlreadyReported { .. }), "{second:?}");
    assert_eq!(second.to_string(), first.to_string());
}

#[test]
fn wait_timeout_gives_up_while_the_job_runs() {
    let (client, control, _woken) = client();
    control.set_status(JobStatus::Running);
    assert!(client.wait_timeout(Duration::ZERO).is_none());
    control.complete(Ok(result(JobStatus::Finished)));
    let ended = client.wait_timeout(Duration::ZERO).expect("ended").expect("finished");
    assert_eq!(ended.status, JobStatus::Finished);
}

#[test]
fn wait_for_status_returns_when_the_status_is_reached_or_the_job_ended() {
    let (client, control, _woken) = client();
    assert_eq!(client.wait_for_status(JobStatus::Running, Duration::ZERO), JobStatus::Created, "gives up");
    let other = client.clone();
    let waiter = std::thread::spawn(move || other.wait_for_status(JobStatus::Restarting, Duration::from_secs(60)));
    control.set_status(JobStatus::Running);
    control.set_status(JobStatus::Restarting);
    assert_eq!(waiter.join().expect("waiter"), JobStatus::Restarting);
    control.complete(Ok(result(JobStatus::Finished)));
    assert_eq!(client.wait_for_status(JobStatus::Running, Duration::from_secs(60)), JobStatus::Finished);
}
