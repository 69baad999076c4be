//! `weir savepoint <JOB_ID> [DIR]`: takes a savepoint of a running job through its REST API
//! (`POST /jobs/:id/savepoints`), waits for it, and prints its path. The job goes on.

use super::control::{connect, explain, target_directory, wait_for_savepoint};
use super::print_stdout;
use crate::cli::SavepointArgs;

pub fn execute(args: SavepointArgs) -> anyhow::Result<()> {
    let rest = connect(&args.jobmanager.jobmanager)?;
    let job_id = &args.job_id;
    let request = rest
        .trigger_savepoint(job_id, target_directory(args.target_directory.as_deref())?.as_deref(), false)
        .map_err(|e| explain(e, rest.address(), || format!("the savepoint of job {job_id} was refused")))?;
    let location = wait_for_savepoint(&rest, job_id, &request)?;
    print_stdout(&format!(
        "Savepoint completed. Path: {location}\nResume from it with `weir run -s {location} <JOB>`.\n"
    ))
}
