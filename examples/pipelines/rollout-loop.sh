#!/usr/bin/env bash
# Drive a rollout to its end from a pipeline, with nothing but terraform and
# rolloutctl. Each round applies the configuration (one transition of a
# plan-driven canary, or the whole canary with wait = true), then reads the
# outcome from the state with `rolloutctl status --exit-code`:
#   0 done         the alias serves the release: stop, success
#   4 in progress  the canary holds or waits: sleep one interval, apply again
#   5 rolled back  the gates rolled the release back: stop, fail
#   6 aborted      stop, fail
# A rolled-back release is never relaunched by running this again: its plan
# stops before anything moves (see the pipelines guide for the ways forward).
#
# Environment: ROLLOUT_ALIAS (default live), ROLLOUT_INTERVAL seconds between
# rounds (default 30), ROLLOUT_MAX_ROUNDS (default 120), TERRAFORM and
# ROLLOUTCTL (default: from PATH). Run it in the configuration's directory,
# after terraform init. Exit: 0 done, 5 rolled back, 6 aborted, 1 otherwise.
set -uo pipefail

tf=${TERRAFORM:-terraform}
ctl=${ROLLOUTCTL:-rolloutctl}
alias=${ROLLOUT_ALIAS:-live}
interval=${ROLLOUT_INTERVAL:-30}
max_rounds=${ROLLOUT_MAX_ROUNDS:-120}

for ((round = 1; round <= max_rounds; round++)); do
	echo "==> round $round: terraform apply"
	"$tf" apply -auto-approve -input=false -no-color
	applied=$?
	"$tf" state pull | "$ctl" status --state - --alias "$alias" --exit-code
	outcome=$?
	case $outcome in
	0)
		if [ "$applied" -ne 0 ]; then
			echo "==> the apply failed (exit $applied) and no rollout is running: see its error above" >&2
			exit 1
		fi
		echo "==> done"
		exit 0
		;;
	4)
		if [ "$applied" -ne 0 ]; then
			echo "==> the apply failed (exit $applied) during the rollout: see its error above" >&2
			exit 1
		fi
		sleep "$interval"
		;;
	5)
		echo "==> rolled back: ship a fix, revert to a known-good release, or retry on purpose with retry_rolled_back" >&2
		exit 5
		;;
	6)
		echo "==> aborted" >&2
		exit 6
		;;
	*)
		echo "==> rolloutctl status failed (exit $outcome)" >&2
		exit 1
		;;
	esac
done
echo "==> the rollout did not end in $max_rounds rounds" >&2
exit 1
