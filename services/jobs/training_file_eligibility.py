"""Whether a training file can train a model, and what to tell the user (UJ1.1.3). No I/O."""

import msgspec

from services.jobs.training_file_stats import LOW_REVIEW_SHARE, TrainingFileStats

MIN_CONVERSATIONS = 50  # UJ1.1.3
HIGH_NULL_TARGET_SHARE = 0.5  # above this share of context-only pairs, warn
# Formats without the generator's enrichment: its absence is a warning there, not a problem.
UNENRICHED_FORMATS = ("openai-chat", "sharegpt", "alpaca", "brightrun-raw")
# Where the too-few-conversations guidance sends users (issue 17): combine files here.
COMBINE_FILES = ("combine it with your other uploaded files into a training set: "
                 "\"Combine with other files\" on the file's page, or POST /api/v1/training-sets "
                 "with their training_file_ids")


class Problem(msgspec.Struct, frozen=True):
    code: str
    message: str
    how_to_fix: str


class Eligibility(msgspec.Struct, frozen=True):
    eligible: bool
    problems: list[Problem]
    warnings: list[Problem]


def check_eligibility(
    stats: TrainingFileStats, min_conversations: int = MIN_CONVERSATIONS
) -> Eligibility:
    """UJ1.1.3: enough conversations, all enriched, training pairs to learn from.

    "Valid JSON format" is settled before this: a file that does not parse has no stats.
    """
    problems = [_too_few_conversations(stats, min_conversations), _no_pairs(stats)]
    warnings = [_claims_differ(stats), _many_null_targets(stats), _low_review(stats)]
    # OpenAI chat, ShareGPT and Alpaca files carry no scaffolding at all, and the generator's
    # raw conversations are not enriched yet: the absence lowers the badge and is reported,
    # but does not refuse the file.
    unenriched = stats.format in UNENRICHED_FORMATS
    (warnings if unenriched else problems).append(_not_enriched(stats))
    problems = [problem for problem in problems if problem]
    return Eligibility(
        eligible=not problems,
        problems=problems,
        warnings=[warning for warning in warnings if warning],
    )


def _too_few_conversations(stats: TrainingFileStats, minimum: int) -> Problem | None:
    count = stats.conversation_count
    if count >= minimum:
        return None
    return Problem(
        "too_few_conversations",
        f"This file has {_plural(count, 'conversation')}; training needs at least {minimum:,}.",
        f"Add at least {minimum - count:,} more conversations: {COMBINE_FILES}.",
    )


def _not_enriched(stats: TrainingFileStats) -> Problem | None:
    missing = stats.conversation_count - stats.enriched_conversation_count
    if stats.format == "brightrun-raw":
        return Problem(
            "not_enriched",
            "These are the conversation generator's conversations before enrichment: no quality "
            "scores or emotional context, so the quality badge is Low.",
            "You can train with them as they are. For a better badge and report, run enrichment "
            "in the conversation generator and upload the training file it builds.",
        )
    if missing == 0:
        return None
    if stats.format in UNENRICHED_FORMATS:
        name = {"openai-chat": "OpenAI chat", "sharegpt": "ShareGPT", "alpaca": "Alpaca"}[
            stats.format]
        return Problem(
            "not_enriched",
            "This file has no persona, emotional arc or training topic for its conversations "
            f"({name} files do not carry them), so its quality badge is Low.",
            "You can train with it as it is. For a better badge and report, build the training "
            "file with the Bright Run conversation generator.",
        )
    return Problem(
        "not_enriched",
        f"{missing:,} of {_plural(stats.conversation_count, 'conversation')} "
        f"{'is' if missing == 1 else 'are'} not enriched: a persona, an emotional arc or a "
        "training topic is missing.",
        "Run enrichment on those conversations in the conversation generator, rebuild the "
        "training file and upload it again.",
    )


def _no_pairs(stats: TrainingFileStats) -> Problem | None:
    if stats.pair_count == 0:
        return Problem(
            "no_training_pairs",
            "This file contains no training pairs, so there is nothing to train on.",
            "Generate training pairs for your conversations in the conversation generator, "
            "rebuild the training file and upload it again.",
        )
    if stats.usable_pair_count == 0:
        return Problem(
            "no_usable_pairs",
            f"None of the {_plural(stats.pair_count, 'training pair')} can be learned from: "
            "each one lacks the ideal advisor response or the client's message.",
            "Fill in the ideal advisor response (target_response) for the turns the model "
            "should learn from, then upload the file again.",
        )
    return None


def _claims_differ(stats: TrainingFileStats) -> Problem | None:
    if stats.counts_match_claims:
        return None
    claimed, actual = [], []
    for claim, count, noun in (
        (stats.claimed_conversation_count, stats.conversation_count, "conversation"),
        (stats.claimed_pair_count, stats.pair_count, "training pair"),
    ):
        if claim is not None and claim != count:
            claimed.append(_plural(claim, noun))
            actual.append(_plural(count, noun))
    said = ([f"The file's summary says it has {' and '.join(claimed)}, but it actually "
             f"contains {' and '.join(actual)}."] if claimed else [])
    said += [f"{m.field} says {m.claimed:,} but the file holds {m.actual:,} ({m.counts})."
             for m in stats.claim_mismatches[:5]]
    if len(stats.claim_mismatches) > 5:
        said.append(f"{len(stats.claim_mismatches) - 5:,} more counts differ (see the stats).")
    return Problem(
        "claimed_counts_differ",
        " ".join(said),
        "Nothing to do before training: the actual content is what gets used. To tidy up, "
        "regenerate the file so that its summary matches.",
    )


def _many_null_targets(stats: TrainingFileStats) -> Problem | None:
    if not stats.pair_count or stats.null_target_count / stats.pair_count <= HIGH_NULL_TARGET_SHARE:
        return None
    share = stats.null_target_count / stats.pair_count
    return Problem(
        "many_null_targets",
        f"{share:.0%} of the training pairs ({stats.null_target_count:,} of "
        f"{stats.pair_count:,}) have no ideal response; they are used as context only, not "
        "learned from.",
        "That is normal for turns kept as context. If you expected more examples, fill in the "
        "ideal response (target_response) for those turns and upload the file again.",
    )


def _low_review(stats: TrainingFileStats) -> Problem | None:
    if not stats.pair_count or stats.review_share >= LOW_REVIEW_SHARE:
        return None
    return Problem(
        "low_review_share",
        f"Only {stats.review_share:.0%} of the training pairs ({stats.human_reviewed_count:,} "
        f"of {stats.pair_count:,}) have been reviewed by a person.",
        f"Review more pairs in the conversation generator: at least {LOW_REVIEW_SHARE:.0%} is "
        "recommended, and needed for a High quality badge.",
    )


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
