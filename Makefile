# vmxray: build, image, run, test. See README.md.
#   make          build/vmxray.efi, the in-guest programs, tools/vmxlog
#   make image    build/vmxray.img (GPT disk, FAT ESP, \EFI\BOOT\BOOTX64.EFI)
#   make run      boot the image in the best test bed, serial log on the terminal
#   make test     unit tests + integration tests; prints "N passed, M failed"
#   make unit     host unit tests only
#   make fuzz     libFuzzer harnesses, FUZZ_SECONDS each (default 60)

VERSION_MAJOR := 0
VERSION_MINOR := 1
GIT_REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

B := build
CC := gcc
NASM := nasm
LD := ld
OBJCOPY := objcopy

EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CRT0 := $(EFI_LIB)/crt0-efi-x86_64.o

WARN := -Wall -Wextra -Werror
# The hypervisor and its EFI programs: freestanding, general registers only (no SSE
# code ever touches guest FPU state), no red zone (interrupts on the stack), PIC for
# gnu-efi's self-relocation.
EFI_CFLAGS := -std=c11 $(WARN) -O2 -g -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-stack-check -fpic -fshort-wchar -mno-red-zone -mgeneral-regs-only \
	-maccumulate-outgoing-args -fno-strict-aliasing -fno-omit-frame-pointer \
	-DGNU_EFI_USE_MS_ABI -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -I. -I$(B)/gen \
	-DVMXRAY_VERSION_MAJOR=$(VERSION_MAJOR) -DVMXRAY_VERSION_MINOR=$(VERSION_MINOR) -MMD -MP
EFI_LDFLAGS := -nostdlib -znocombreloc -z defs -T linker.ld -shared -Bsymbolic -L$(EFI_LIB)
EFI_LIBS := -lefi -lgnuefi
NASMFLAGS := -f elf64 -Werror -I$(B)/gen/

HOST_CFLAGS := -std=c11 $(WARN) -O1 -g -I. -I$(B)/gen -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all -D_DEFAULT_SOURCE -DVMXRAY_HOST_TEST \
	-DVMXRAY_VERSION_MAJOR=$(VERSION_MAJOR) -DVMXRAY_VERSION_MINOR=$(VERSION_MINOR) -MMD -MP
HOST_LDLIBS := -lcmocka

# Every .c and .asm below the hypervisor's folders (vmx/ has one folder per concern).
HV_DIRS := boot arch vmx ept drivers
HV_C := $(filter-out boot/asm_offsets.c,$(sort $(shell find $(HV_DIRS) -name '*.c')))
HV_ASM := $(sort $(shell find $(HV_DIRS) -name '*.asm'))
HV_OBJ := $(HV_C:%.c=$(B)/hv/%.o) $(HV_ASM:%.asm=$(B)/hv/%.asm.o)

# In-guest EFI programs: tests/guest/<name>.c, linked with the in-guest library
# tools/efilib/ (C and asm, shared with tools/hvctl) and the listed pure files of the hypervisor.
GUEST_SHARED := drivers/fmt.c arch/string.c $(wildcard tools/efilib/*.c)
GUEST_ASM := $(wildcard tools/efilib/*.asm)
GUEST_PROGS := $(patsubst tests/guest/%.c,%,$(wildcard tests/guest/*.c))
GUEST_EFI := $(GUEST_PROGS:%=$(B)/guest/%.efi)

# Keep intermediate objects of the guest programs (make would delete them).
.SECONDARY:

.PHONY: all build image run run-quick test unit integration bench fuzz clean deps deps-test vmxlog hvctl
all: deps
	@$(MAKE) --no-print-directory build
build: $(B)/gen/offsets.inc $(B)/vmxray.efi $(GUEST_EFI) vmxlog hvctl $(B)/symexport

# Every target that needs a Debian package asks tools/deps first: as root it installs what
# is missing, otherwise it stops with one line naming the exact command.
deps:
	@tools/deps build
deps-test:
	@tools/deps test

$(B)/hv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

# The banner names the commit that was built: build/gen/git_rev.h is rewritten whenever
# `git describe` says something else (a new commit, -dirty), and only then, so the file
# that prints it rebuilds exactly when the revision moves.
$(shell mkdir -p $(B)/gen; echo '#define VMXRAY_GIT_REV "$(GIT_REV)"' > $(B)/gen/git_rev.h.new; \
	cmp -s $(B)/gen/git_rev.h.new $(B)/gen/git_rev.h || mv $(B)/gen/git_rev.h.new $(B)/gen/git_rev.h; \
	rm -f $(B)/gen/git_rev.h.new)

$(B)/hv/%.asm.o: %.asm $(B)/gen/offsets.inc
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) -MD $@.d $< -o $@

# Structure offsets for assembly, generated from the C structs (boot/asm_offsets.c).
$(B)/gen/offsets.inc: boot/asm_offsets.c boot/handoff.h vmx/vcpu.h vmx/study/recorder.h boot/options.h \
		arch/exceptions.h arch/exceptions.def vmx/hv.h vmx/policy/policy.h vmx/vmcs/vmcs_fields.def \
		vmx/decode/exit_reasons.def arch/cr.h
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(EFI_CFLAGS)) -MMD -MP -MF $(B)/gen/offsets.inc.d -MT $@ -S $< -o $(B)/gen/asm_offsets.s
	sed -n 's/.*@@@\(%define [A-Z0-9_]* \)\$$\{0,1\}\(-\{0,1\}[0-9]*\)@@@.*/\1\2/p' $(B)/gen/asm_offsets.s > $@.tmp
	@test -s $@.tmp || { echo "offsets.inc came out empty" >&2; exit 1; }
	mv $@.tmp $@

# vmxray.rev: the revision this link was built from (tests compare it with the banner).
$(B)/vmxray.so: $(HV_OBJ) linker.ld
	$(LD) $(EFI_LDFLAGS) $(EFI_CRT0) $(HV_OBJ) $(EFI_LIBS) -o $@
	@echo '$(GIT_REV)' > $(B)/vmxray.rev

%.efi: %.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc -j .bss --target efi-app-x86_64 --subsystem=10 $< $@

$(B)/guest/%.o: tests/guest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(B)/guest/shared/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(B)/guest/shared/%.asm.o: %.asm $(B)/gen/offsets.inc
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) -MD $@.d $< -o $@

GUEST_SHARED_OBJ := $(GUEST_SHARED:%.c=$(B)/guest/shared/%.o) $(GUEST_ASM:%.asm=$(B)/guest/shared/%.asm.o)
$(B)/guest/%.so: $(B)/guest/%.o $(GUEST_SHARED_OBJ) linker.ld
	$(LD) $(EFI_LDFLAGS) $(EFI_CRT0) $< $(GUEST_SHARED_OBJ) $(EFI_LIBS) -o $@

# vmxdiff's mode-switching blob: a flat binary for a fixed address below 1 MiB
# (tests/guest/vmxdiff_modes.asm), linked into vmxdiff.efi as data.
$(B)/guest/vmxdiff_modes.bin: tests/guest/vmxdiff_modes.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(B)/guest/vmxdiff_blob.o: $(B)/guest/vmxdiff_modes.bin
	printf 'section .data\nglobal vmxdiff_blob:data hidden, vmxdiff_blob_end:data hidden\nvmxdiff_blob: incbin "%s"\nvmxdiff_blob_end:\nsection .note.GNU-stack noalloc noexec nowrite progbits\n' $< > $@.asm
	$(NASM) -f elf64 -o $@ $@.asm
# and its interrupt and NMI probes (tests/guest/vmxdiff_intr.asm), 64-bit code in the image
$(B)/guest/vmxdiff_intr.o: tests/guest/vmxdiff_intr.asm
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) -o $@ $<
VMXDIFF_OBJ := $(B)/guest/vmxdiff_blob.o $(B)/guest/vmxdiff_intr.o
$(B)/guest/vmxdiff.so: $(B)/guest/vmxdiff.o $(VMXDIFF_OBJ) $(GUEST_SHARED_OBJ) linker.ld
	$(LD) $(EFI_LDFLAGS) $(EFI_CRT0) $< $(VMXDIFF_OBJ) $(GUEST_SHARED_OBJ) $(EFI_LIBS) -o $@

# ---- hvctl.efi: the in-guest tool for users (tools/hvctl/*.c + the guest library) ----
HVCTL_C := $(wildcard tools/hvctl/*.c) vmx/study/trace_record.c
HVCTL_LINUX_C := $(wildcard tools/hvctl/linux/*.c)
HVCTL_OBJ := $(HVCTL_C:%.c=$(B)/guest/hvctl/%.o)
$(B)/guest/hvctl/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(B)/hvctl.so: $(HVCTL_OBJ) $(GUEST_SHARED_OBJ) linker.ld
	$(LD) $(EFI_LDFLAGS) $(EFI_CRT0) $(HVCTL_OBJ) $(GUEST_SHARED_OBJ) $(EFI_LIBS) -o $@
hvctl: $(if $(HVCTL_C),$(B)/hvctl.efi) $(if $(HVCTL_LINUX_C),$(B)/hvctl-linux)

# ---- hvctl-linux: the same commands as a static Linux program for the running OS
# (tools/hvctl/hvctl_cmd.c + tools/hvctl/linux/; tools/linux-payload puts it in the initramfs) ----
HVCTL_LINUX_SRCS := tools/hvctl/hvctl_cmd.c tools/hvctl/trace_line.c vmx/study/trace_record.c drivers/fmt.c \
	$(HVCTL_LINUX_C)
$(B)/hvctl-linux: $(HVCTL_LINUX_SRCS) $(wildcard tools/hvctl/*.h tools/hvctl/linux/*.h) \
		vmx/policy/hypercall_abi.h vmx/decode/exit_reasons.def vmx/study/trace_record.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -g -static -I. -o $@ $(HVCTL_LINUX_SRCS)

# ---- symexport: the running kernel's text symbols out through Bochs's port 0xE9, a static
# Linux program (tools/linux-payload puts it in the initramfs; not a hypervisor command) ----
SYMEXPORT_SRCS := tools/symexport/symexport.c tools/symexport/kallsyms_line.c
$(B)/symexport: $(SYMEXPORT_SRCS) tools/symexport/kallsyms_line.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -static -I. -o $@ $(SYMEXPORT_SRCS)

# ---- host tools ----
VMXLOG_C := $(wildcard tools/vmxlog/*.c) vmx/study/trace_record.c drivers/fmt.c
vmxlog: $(if $(VMXLOG_C),$(B)/vmxlog)
$(B)/vmxlog: $(VMXLOG_C) $(wildcard tools/vmxlog/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -O2 -g -I. -D_DEFAULT_SOURCE -o $@ $(VMXLOG_C)

# ---- host unit tests ----
# tests/unit/test_X.c is linked with the pure sources listed in tests/unit/test_X.mk as
#   test_X_SRCS := drivers/fmt.c ...
# Its dependencies (every header of every source) go to one .d file: gcc's -MMD, with several
# sources and one output, would keep only the last source's headers.
-include $(wildcard tests/unit/*.mk)
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_TESTS:%=$(B)/unit/%)

define unit_rule
$(B)/unit/$(1): tests/unit/$(1).c $$($(1)_SRCS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(filter-out -MMD -MP,$$(HOST_CFLAGS)) -MM -MP -MT $$@ tests/unit/$(1).c $$($(1)_SRCS) > $$@.d
	$$(CC) $$(filter-out -MMD -MP,$$(HOST_CFLAGS)) -o $$@ tests/unit/$(1).c $$($(1)_SRCS) $$(HOST_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: deps
	@$(MAKE) --no-print-directory unit-run
.PHONY: unit-run
unit-run: $(UNIT_BINS) fixtures-check
	@tools/testrun unit $(UNIT_BINS)

# ---- the vmxlog fixtures: tests/fixtures/vmxlog_fixtures_gen.c over the pure formatters ----
FIXTURES_GEN_SRCS := tests/fixtures/vmxlog_fixtures_gen.c vmx/caps/caps.c vmx/study/caps_matrix.c \
	vmx/vmcs/controls.c vmx/study/vmcs_dump.c vmx/vmcs/vmcs_fields.c vmx/decode/decode.c \
	vmx/decode/exit_reasons.c vmx/vmcs/vm_insn_errors.c $(wildcard vmx/checker/checker*.c) \
	drivers/fmt.c drivers/log.c
FIXTURES_GEN_SRCS := $(filter-out vmx/checker/checker_hw.c,$(FIXTURES_GEN_SRCS))
# name of the log = arguments of the generator
FIXTURES := haswell_shell haswell_entry_failure:panic lynnfield_refused:lynnfield
$(B)/fixtures/gen: $(FIXTURES_GEN_SRCS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $(FIXTURES_GEN_SRCS)
.PHONY: fixtures fixtures-check
fixtures: $(B)/fixtures/gen
	@$(foreach f,$(FIXTURES),$(B)/fixtures/gen $(word 2,$(subst :, ,$(f))) > $(B)/fixtures/$(word 1,$(subst :, ,$(f))).log &&) true
fixtures-check: fixtures
	@$(foreach f,$(FIXTURES),cmp -s $(B)/fixtures/$(word 1,$(subst :, ,$(f))).log tests/fixtures/$(word 1,$(subst :, ,$(f))).log || \
		{ echo "tests/fixtures/$(word 1,$(subst :, ,$(f))).log differs from its generator (make fixtures)" >&2; exit 1; };) true

image: all
	tools/mkimage usb $(B)/vmxray.img --cfg "log=info console=auto"

run: deps-test all
	tools/run $(RUN_ARGS)

run-quick: deps-test all
	tools/run --quick $(RUN_ARGS)

test: deps-test all
	@$(MAKE) --no-print-directory unit-bins
	@tools/testrun all $(UNIT_BINS)
.PHONY: unit-bins
unit-bins: $(UNIT_BINS)

integration: deps-test all
	@tools/testrun integration

# Exit-path costs, launch, Linux boot overhead, memory (tools/bench; --linux via BENCH_ARGS).
bench: deps-test all
	tools/bench $(BENCH_ARGS)

# Host fuzzing (libFuzzer): every parser and decoder that takes outside input, then the
# in-guest fuzzer under vmxray with GUEST_FUZZ_COUNT cases (make test runs ~12000).
FUZZ_SECONDS ?= 60
GUEST_FUZZ_COUNT ?= 100000
fuzz: all
	@tools/deps fuzz
	@tools/fuzz --seconds $(FUZZ_SECONDS)
	@VMXFUZZ_COUNT=$(GUEST_FUZZ_COUNT) bash tests/integration/70-fuzz.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# A source or header that moved away must not stop the build through a stale .d file
# (make would say "No rule to make target"): the compiler says so if it is really needed.
# (One pattern per suffix: a pattern rule with several targets would claim to make them all.)
%.c:
	@:
%.h:
	@:
%.asm:
	@:
%.def:
	@:
