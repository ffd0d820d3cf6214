/* Exception vectors, names, error codes and classes, expanded from arch/exceptions.def.
 * Pure, header-only: the hypervisor, the in-guest library and the tools include it alike. */
#ifndef VMXRAY_ARCH_EXCEPTIONS_H
#define VMXRAY_ARCH_EXCEPTIONS_H
#include <stdbool.h>
#include <stddef.h>

/* VECTOR_DE = 0, VECTOR_DB = 1, ... VECTOR_CP = 21. */
enum exception_vector {
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) VECTOR_##name = vector,
#include "arch/exceptions.def"
#undef EXCEPTION
};

enum exception_class {
	EXC_RESERVED,
	EXC_FAULT,
	EXC_TRAP,
	EXC_ABORT,
	EXC_INTERRUPT,
	EXC_FAULT_OR_TRAP,
};

/* Bit v set when vector v pushes an error code (0x227D00: 8, 10-14, 17, 21). The assembly
 * stubs get the same mask through build/gen/offsets.inc (boot/asm_offsets.c). */
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) \
	| ((error_code) ? 1u << (vector) : 0u)
enum { EXCEPTION_ERROR_CODE_MASK = 0u
#include "arch/exceptions.def"
};
#undef EXCEPTION

static inline bool exception_has_error_code(unsigned vector)
{
	return vector < 32 && ((EXCEPTION_ERROR_CODE_MASK >> vector) & 1u);
}

/* "#DE", "NMI", ...; NULL for a vector without a mnemonic (9, 15, 22-31, out of range). */
static inline const char *exception_mnemonic(unsigned vector)
{
	switch (vector) {
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) \
	case vector: return (mnemonic)[0] ? (mnemonic) : NULL;
#include "arch/exceptions.def"
#undef EXCEPTION
	default: return NULL;
	}
}

/* "divide error", ... ("" for NMI); NULL for the reserved vectors 22-31 and out of range. */
static inline const char *exception_description(unsigned vector)
{
	switch (vector) {
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) \
	case vector: return description;
#include "arch/exceptions.def"
#undef EXCEPTION
	default: return NULL;
	}
}

static inline enum exception_class exception_class(unsigned vector)
{
	switch (vector) {
#define EXCEPTION(vector, name, mnemonic, description, error_code, class) \
	case vector: return class;
#include "arch/exceptions.def"
#undef EXCEPTION
	default: return EXC_RESERVED;
	}
}

#endif
