"""The dataset viewer's error codes (``X-Error-Code``): which ones asking again cannot change.

The viewer caches one answer per dataset step and recomputes an error only for a few codes, or
when the dataset itself changes (a new sha, which the crawl notices on its own). So a 5xx whose
code is permanent is one request and a skip with that code as the reason; ``ResponseNotReady``
means "still computing" (retried with backoff, then deferred); any other code, or none, is
retried like every server error. An unknown code counts as transient: it is retried and reported,
never silently skipped.
"""

from __future__ import annotations

# From huggingface/dataset-viewer: libs/libcommon/src/libcommon/exceptions.py (CacheableErrorCode,
# current and earlier revisions), libcommon/constants.py (MAX_FAILED_RUNS_PER_ERROR_CODE, the codes
# the viewer recomputes itself) and libs/libapi/src/libapi/exceptions.py (the API's own codes).

NOT_READY_CODE = "ResponseNotReady"

# The viewer recomputes these itself, or they describe its own trouble at that moment.
TRANSIENT_CODES = frozenset(
    {
        "RetryableConfigNamesError",
        "ConnectionError",
        "ClientConnectionError",
        "ExternalServerError",
        "JobManagerCrashedError",
        "JobRunnerCrashedError",
        "StreamingRowsError",
        "CreateCommitError",
        "HfHubError",
        "LockedDatasetTimeoutError",
        "PreviousStepStillProcessingError",
        "CacheDirectoryNotInitializedError",
        "DiskError",
        "FileSystemError",
        "MissingSpawningTokenError",
        "AuthCheckHubRequestError",
        "DownloadIndexError",
        "UnexpectedError",
        "UnexpectedApiError",
        NOT_READY_CODE,
    }
)

# What the viewer found about the dataset itself: it answers the same until the dataset changes.
PERMANENT_CODES = frozenset(
    {
        "ComputationError",
        "ConfigNamesError",
        "ConfigNotFoundError",
        "DataFilesNotFoundError",
        "DatasetGenerationCastError",
        "DatasetGenerationError",
        "DatasetInBlockListError",
        "DatasetManualDownloadError",
        "DatasetModuleNotInstalledError",
        "DatasetNotFoundError",
        "DatasetRevisionEmptyError",
        "DatasetRevisionNotFoundError",
        "DatasetScriptError",
        "DatasetTooBigFromDatasetsError",
        "DatasetTooBigFromHubError",
        "DatasetWithArrowFilesNotSupportedError",
        "DatasetWithScriptNotSupportedError",
        "DatasetWithTooBigExternalFilesError",
        "DatasetWithTooComplexDataFilesPatternsError",
        "DatasetWithTooManyConfigsError",
        "DatasetWithTooManyExternalFilesError",
        "DatasetWithTooManyParquetFilesError",
        "DatasetWithTooManySplitsError",
        "DisabledViewerError",
        "EmptyDatasetError",
        "FeaturesError",
        "FeaturesResponseEmptyError",
        "FileFormatMismatchBetweenSplitsError",
        "GatedDisabledError",
        "GatedExtraFieldsError",
        "InfoError",
        "JobManagerExceededMaximumDurationError",
        "JobRunnerExceededMaximumDurationError",
        "NoGitRevisionError",
        "NoSupportedFeaturesError",
        "NormalRowsError",
        "NotSupportedDisabledRepositoryError",
        "NotSupportedDisabledViewerError",
        "NotSupportedPrivateRepositoryError",
        "NotSupportedRepositoryNotFoundError",
        "NotSupportedTagNFAAError",
        "ParameterMissingError",
        "ParquetResponseEmptyError",
        "PolarsParquetReadError",
        "PreviousStepFormatError",
        "PreviousStepStatusError",
        "RowsPostProcessingError",
        "SplitNamesFromStreamingError",
        "SplitNotFoundError",
        "SplitParquetSchemaMismatchError",
        "SplitWithTooBigParquetError",
        "SplitsNamesError",
        "TooBigContentError",
        "TooLongColumnNameError",
        "TooManyColumnsError",
        "TransformRowsProcessingError",
        "UnsupportedExternalFilesError",
    }
)


def is_permanent(code: str | None) -> bool:
    """Whether a viewer error code says the same answer will come back until the dataset changes."""
    return code in PERMANENT_CODES
