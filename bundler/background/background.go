// Package background is OpenDash's background callback manager for AWS Lambda. Python is its source,
// shipped into the server function as opendash_background.py: the handler installs it in place of the app's
// own manager (DiskcacheManager, CeleryManager) and runs the jobs it starts, each in an asynchronous
// invocation of the jobs function (the server's image), with progress, results, errors and cancellation in
// a store every instance shares. SlotsPython (opendash_jobslots.py) holds the concurrency cap's slots and the
// claim that runs each job once; StorePython (opendash_jobstore.py) the stores (an S3 prefix on AWS, a folder
// in `open-dash preview`) and the invokers (Lambda's asynchronous Invoke, the preview's endpoint).
package background

import _ "embed"

// PythonFile, SlotsFile and StoreFile are the manager's, the slots' and the store's names in the server
// function, beside the handler.
const (
	PythonFile = "opendash_background.py"
	SlotsFile  = "opendash_jobslots.py"
	StoreFile  = "opendash_jobstore.py"
)

// EventType is the "type" of the event that runs a job: {"type": "opendash-job", "job": ID}.
const EventType = "opendash-job"

// Environment variables the manager reads: the component sets the S3 ones, the preview the folder and URL.
const (
	EnvBucket    = "OPENDASH_JOBS_BUCKET"     // S3 bucket of the job store
	EnvPrefix    = "OPENDASH_JOBS_PREFIX"     // key prefix in it ("jobs/")
	EnvDir       = "OPENDASH_JOBS_DIR"        // a folder standing in for S3 (the preview)
	EnvInvokeURL = "OPENDASH_JOBS_INVOKE_URL" // where the preview takes job events (instead of Lambda's Invoke)
	EnvFunction  = "OPENDASH_JOBS_FUNCTION"   // the Lambda function that runs jobs (else the function itself)
	EnvTimeout   = "OPENDASH_JOB_TIMEOUT"     // seconds a job may run: the function's timeout
	// EnvConcurrency is the most jobs that run at once; a start beyond it gets the callback's error.
	EnvConcurrency = "OPENDASH_JOBS_CONCURRENCY"
)

// Prefix is the key prefix of job records in the bucket; the bucket's lifecycle rule expires it.
const Prefix = "jobs/"

// Python is the manager's source (standard library only: the extraction prepends it to find the app's
// background callbacks).
//
//go:embed background.py
var Python []byte

// SlotsPython is the source of the slots (the concurrency cap) and the claim (standard library only).
//
//go:embed jobslots.py
var SlotsPython []byte

// StorePython is the store's and invokers' source (standard library, plus boto3 on Lambda).
//
//go:embed jobstore.py
var StorePython []byte
