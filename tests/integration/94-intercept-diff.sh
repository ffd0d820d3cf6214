#!/usr/bin/env bash
# Every opt-in intercept on (issue 21): the differential suite of 92-differential.sh with
# vmxray started as `vmxray.efi intercept=all` (every row of vmx/policy/intercepts.def and
# every exception vector through the exception bitmap), plus INTERCEPT_EXTRA (e.g. an EPT
# range). The guest must print exactly what it prints on bare Bochs, on each CPU model.
# DIFF_MODELS picks the models as in 92-differential.sh.
export DIFF_VMXRAY_ARGS="intercept=all${INTERCEPT_EXTRA:+,$INTERCEPT_EXTRA}"
export DIFF_TAG=intercept
exec bash "$(dirname "$0")/92-differential.sh"
