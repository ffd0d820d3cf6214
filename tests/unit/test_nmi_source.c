/* Unit tests: vmx/policy/nmi_source.c, whose NMI is it. The decision alone, then a model
 * of one target CPU that plays the interleavings through it: the hardware's one-deep NMI
 * latch (SDM Vol. 3A, "NMI Handling"), root mode's NMI blocking from an NMI exit to
 * vmxray's IRET, the kick flag (at most one kick in flight) and the soft-NMI count, taken
 * in the order the hardware edge takes them (vmx/exit/soft_ipi.c, vcpu_nmi_arrived). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmx/policy/nmi_source.h"

static struct nmi_decision look(bool hw, bool kick, uint32_t soft, bool wait_sipi)
{
	struct nmi_look l = { .hw_nmi = hw, .kick_taken = kick, .soft_nmis = soft, .wait_sipi = wait_sipi };
	return nmi_source_decide(&l);
}

static void test_decide(void **state)
{
	(void)state;
	struct nmi_decision d = look(true, true, 0, false);
	assert_int_equal(d.verdict, NMI_KICK);
	assert_int_equal(d.guest_nmis, 0);
	d = look(true, false, 0, false);
	assert_int_equal(d.verdict, NMI_UNACCOUNTED);
	assert_int_equal(d.guest_nmis, 1);
	d = look(true, true, 2, false); /* a kick that carried two soft NMIs */
	assert_int_equal(d.verdict, NMI_KICK);
	assert_int_equal(d.guest_nmis, 2);
	d = look(true, false, 1, false); /* an unaccounted NMI before the soft NMI's kick */
	assert_int_equal(d.verdict, NMI_UNACCOUNTED);
	assert_int_equal(d.guest_nmis, 2);
	d = look(false, false, 1, false); /* a full exit path finds a soft NMI */
	assert_int_equal(d.verdict, NMI_NONE);
	assert_int_equal(d.guest_nmis, 1);
	d = look(false, false, 0, false);
	assert_int_equal(d.verdict, NMI_NONE);
	assert_int_equal(d.guest_nmis, 0);
	d = look(true, false, 3, true); /* wait-for-SIPI takes nothing */
	assert_int_equal(d.verdict, NMI_DROPPED);
	assert_int_equal(d.guest_nmis, 0);
	d = look(false, false, 1, true);
	assert_int_equal(d.verdict, NMI_NONE);
	assert_int_equal(d.guest_nmis, 0);
	assert_string_equal(nmi_verdict_name(NMI_KICK), "kick");
	assert_string_equal(nmi_verdict_name((enum nmi_verdict)99), "?");
}

static void test_held_cap(void **state)
{
	(void)state;
	assert_int_equal(nmi_held_add(0, 1, false), 1);
	assert_int_equal(nmi_held_add(0, 5, false), 2); /* one runs, one waits */
	assert_int_equal(nmi_held_add(1, 1, false), 2);
	assert_int_equal(nmi_held_add(0, 3, true), 1);  /* one runs already: one waits */
	assert_int_equal(nmi_held_add(2, 0, true), 1);
	assert_int_equal(nmi_held_add(0, 0, false), 0);
	assert_true(nmi_kick_send(0));
	assert_false(nmi_kick_send(1));
}

/* ---- a model of one target CPU ---- */

struct cpu {
	bool root_blocked;   /* an NMI exit happened, vmxray's IRET not yet */
	bool latched;        /* the one NMI the hardware holds while blocked */
	uint32_t kick_pending;
	uint32_t soft_nmis;
	uint8_t held;        /* nmi_pending: NMIs held for the guest */
	unsigned guest_got;  /* NMIs the guest received */
	unsigned kicks, unaccounted;
	bool kick_wire;      /* a kick sent whose NMI has not reached the CPU yet */
};

static void arrive(struct cpu *c)
{
	struct nmi_look l = { .hw_nmi = true };
	l.kick_taken = c->kick_pending != 0;
	c->kick_pending = 0;
	l.soft_nmis = c->soft_nmis;
	c->soft_nmis = 0;
	struct nmi_decision d = nmi_source_decide(&l);
	c->kicks += d.verdict == NMI_KICK;
	c->unaccounted += d.verdict == NMI_UNACCOUNTED;
	c->held = nmi_held_add(c->held, d.guest_nmis, false);
	c->root_blocked = true; /* the exit (or root vector 2) blocks NMIs */
}

/* An NMI reaches the CPU's pins: taken now, or latched (merging with one latched). */
static void hw_nmi(struct cpu *c)
{
	if (c->root_blocked)
		c->latched = true;
	else
		arrive(c);
}

static void unblock(struct cpu *c) /* vmxray's IRET (cpu_unblock_nmi) */
{
	c->root_blocked = false;
	if (c->latched) {
		c->latched = false;
		arrive(c);
	}
}

/* Sender side of a kick: the flag now, the NMI on the wire (wire_now: it lands at once). */
static void kick(struct cpu *c, bool wire_now)
{
	uint32_t was = c->kick_pending;
	c->kick_pending = 1;
	if (!nmi_kick_send(was))
		return;
	if (wire_now)
		hw_nmi(c);
	else
		c->kick_wire = true;
}

static void wire_lands(struct cpu *c)
{
	assert_true(c->kick_wire);
	c->kick_wire = false;
	hw_nmi(c);
}

static void soft_nmi(struct cpu *c, bool wire_now)
{
	c->soft_nmis++;
	kick(c, wire_now);
}

/* The guest runs: the held NMIs go in one at a time (each one's IRET opens the next). */
static void guest_runs(struct cpu *c)
{
	unblock(c);
	while (c->held) {
		c->held--;
		c->guest_got++;
	}
}

static void test_kick_only(void **state)
{
	(void)state;
	struct cpu c = { 0 };
	kick(&c, true);
	guest_runs(&c);
	assert_int_equal(c.guest_got, 0);
	assert_int_equal(c.kicks, 1);
	assert_int_equal(c.kick_pending, 0);
}

static void test_real_only(void **state)
{
	(void)state;
	struct cpu c = { 0 };
	hw_nmi(&c);
	guest_runs(&c);
	assert_int_equal(c.guest_got, 1);
	assert_int_equal(c.unaccounted, 1);
}

/* A soft NMI (the guest's NMI IPI under ipi=soft) merged with an unaccounted NMI while
 * root mode had NMIs blocked: one arrival, the kick; the soft NMI survives the merge. The
 * unaccounted one is the loss the hardware leaves no way to see (nmi_source.h). */
static void test_both_merged(void **state)
{
	(void)state;
	struct cpu c = { .root_blocked = true };
	soft_nmi(&c, true);
	hw_nmi(&c); /* merges into the latched kick */
	guest_runs(&c);
	assert_int_equal(c.guest_got, 1);
	assert_int_equal(c.kicks, 1);
	assert_int_equal(c.unaccounted, 0);

	struct cpu k = { .root_blocked = true }; /* a bare kick merged with an unaccounted NMI */
	kick(&k, true);
	hw_nmi(&k);
	guest_runs(&k);
	assert_int_equal(k.guest_got, 0); /* the choice: no spurious NMI, the merged one lost */
}

/* An unaccounted NMI lands while a kick is on the wire: it is taken as the kick, and the
 * kick then as the guest's; the guest gets exactly one. */
static void test_real_during_kick_in_flight(void **state)
{
	(void)state;
	struct cpu c = { 0 };
	kick(&c, false);
	hw_nmi(&c);
	guest_runs(&c);
	wire_lands(&c);
	guest_runs(&c);
	assert_int_equal(c.guest_got, 1);
	assert_int_equal(c.kicks, 1);
	assert_int_equal(c.unaccounted, 1);

	/* the same with a soft NMI: the guest gets both, the real one and its own IPI */
	struct cpu s = { 0 };
	soft_nmi(&s, false);
	hw_nmi(&s);
	guest_runs(&s);
	wire_lands(&s);
	guest_runs(&s);
	assert_int_equal(s.guest_got, 2);
}

/* Kicks while root mode blocks NMIs: held by the hardware, one arrival at the IRET; a
 * second kick while one is in flight sends nothing (a second NMI with one flag would be
 * a spurious NMI for the guest: the old re-kick of soft_init did that). */
static void test_kick_during_nmi_blocking(void **state)
{
	(void)state;
	struct cpu c = { .root_blocked = true };
	kick(&c, true);
	kick(&c, true);
	assert_true(c.latched);
	guest_runs(&c);
	assert_int_equal(c.guest_got, 0);
	assert_int_equal(c.kicks, 1);

	struct cpu s = { .root_blocked = true }; /* two soft NMIs, one kick between them */
	soft_nmi(&s, true);
	soft_nmi(&s, true);
	guest_runs(&s);
	assert_int_equal(s.guest_got, 2);
	assert_int_equal(s.kicks, 1);
	assert_int_equal(s.kick_pending, 0);
}

/* The target takes the kick flag, then a sender counts a soft NMI and finds no kick in
 * flight: it kicks again, the target's look (flag before count) still finds the NMI, and
 * the second kick lands as a kick. */
static void test_soft_between_flag_and_count(void **state)
{
	(void)state;
	struct cpu c = { 0 };
	kick(&c, false);
	c.kick_pending = 0; /* the target's arrival took the flag ... */
	c.kick_wire = false;
	c.root_blocked = true;
	soft_nmi(&c, false); /* ... a sender counts and kicks ... */
	struct nmi_look l = { .hw_nmi = true, .kick_taken = true, .soft_nmis = c.soft_nmis };
	c.soft_nmis = 0; /* ... then the target reads the count */
	struct nmi_decision d = nmi_source_decide(&l);
	c.held = nmi_held_add(c.held, d.guest_nmis, false);
	guest_runs(&c);
	wire_lands(&c);
	guest_runs(&c);
	assert_int_equal(c.guest_got, 1);
	assert_int_equal(c.kicks, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_held_cap),
		cmocka_unit_test(test_kick_only),
		cmocka_unit_test(test_real_only),
		cmocka_unit_test(test_both_merged),
		cmocka_unit_test(test_real_during_kick_in_flight),
		cmocka_unit_test(test_kick_during_nmi_blocking),
		cmocka_unit_test(test_soft_between_flag_and_count),
	};
	return cmocka_run_group_tests_name("nmi_source", tests, NULL, NULL);
}
