/* Unit tests: vmx/debug/gdb_packet.c (RSP framing, parsing, replies) and
 * vmx/debug/gdb_regs.c (g/G/p/P layout, target description). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "vmx/debug/gdb_packet.h"
#include "vmx/debug/gdb_regs.h"

static struct gdb_rx rx;

/* Feeds s; returns the last event that was not GDB_RX_NONE. */
static enum gdb_rx_event feed(const char *s)
{
	enum gdb_rx_event last = GDB_RX_NONE;
	for (; *s; s++) {
		enum gdb_rx_event e = gdb_rx_feed(&rx, (uint8_t)*s);
		if (e != GDB_RX_NONE)
			last = e;
	}
	return last;
}

static int setup(void **state)
{
	(void)state;
	gdb_rx_reset(&rx);
	return 0;
}

static void test_frame_good_checksum(void **state)
{
	(void)state;
	assert_int_equal(feed("$g#67"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "g");
	assert_int_equal(feed("$qSupported:multiprocess+#c6"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "qSupported:multiprocess+");
}

static void test_frame_bad_checksum_and_noise(void **state)
{
	(void)state;
	assert_int_equal(feed("$g#68"), GDB_RX_BAD);
	assert_int_equal(feed("$g#zz"), GDB_RX_BAD);
	assert_int_equal(feed("junk"), GDB_RX_NONE);
	assert_int_equal(feed("\x03"), GDB_RX_INTR);
	assert_int_equal(feed("+"), GDB_RX_ACK);
	assert_int_equal(feed("-"), GDB_RX_NAK);
	/* a '$' inside a packet restarts it */
	assert_int_equal(feed("$garbage$g#67"), GDB_RX_PACKET);
	assert_string_equal(rx.buf, "g");
}

static void test_frame_overflow_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(gdb_rx_feed(&rx, '$'), GDB_RX_NONE);
	uint8_t sum = 0;
	for (unsigned i = 0; i < GDB_PACKET_MAX + 100; i++) {
		assert_int_equal(gdb_rx_feed(&rx, 'a'), GDB_RX_NONE);
		sum = (uint8_t)(sum + 'a');
	}
	char cs[4];
	snprintf(cs, sizeof(cs), "#%02x", sum);
	assert_int_equal(feed(cs), GDB_RX_BAD);
	assert_int_equal(feed("$g#67"), GDB_RX_PACKET);
}

static void test_frame_escapes_reply(void **state)
{
	(void)state;
	char out[32];
	size_t n = gdb_frame("a$#}*", 5, out, sizeof(out));
	out[n] = 0;
	/* '$'^0x20 = 0x04, '#'^0x20 = 0x03, '}'^0x20 = ']', '*'^0x20 = '\n' */
	assert_memory_equal(out, "$a}\x04}\x03}]}\n#", 11);
	assert_int_equal(gdb_frame("abcdef", 6, out, 8), 0); /* does not fit */
	n = gdb_frame("OK", 2, out, sizeof(out));
	out[n] = 0;
	assert_string_equal(out, "$OK#9a");
}

static struct gdb_cmd parse(const char *s)
{
	static char buf[GDB_PACKET_MAX + 1];
	snprintf(buf, sizeof(buf), "%s", s);
	return gdb_cmd_parse(buf, strlen(buf));
}

static void test_parse_memory(void **state)
{
	(void)state;
	struct gdb_cmd c = parse("m7ff0,10");
	assert_int_equal(c.kind, GDB_CMD_READ_MEM);
	assert_int_equal(c.addr, 0x7ff0);
	assert_int_equal(c.len, 16);
	c = parse("Mffff800000001000,2:abcd");
	assert_int_equal(c.kind, GDB_CMD_WRITE_MEM);
	assert_int_equal(c.addr, 0xffff800000001000ULL);
	assert_int_equal(c.data_len, 4);
	assert_memory_equal(c.data, "abcd", 4);
	assert_int_equal(parse("M10,2:abc").kind, GDB_CMD_INVALID);   /* length disagrees */
	assert_int_equal(parse("m10").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("m10,100000").kind, GDB_CMD_INVALID);  /* oversized */
	assert_int_equal(parse("m11111111111111111,1").kind, GDB_CMD_INVALID); /* 17 digits */
	assert_int_equal(parse("m,1").kind, GDB_CMD_INVALID);
}

static void test_parse_threads_and_resume(void **state)
{
	(void)state;
	struct gdb_cmd c = parse("Hg2");
	assert_int_equal(c.kind, GDB_CMD_SET_THREAD);
	assert_int_equal(c.op, 'g');
	assert_int_equal(c.thread, 2);
	c = parse("Hc-1");
	assert_int_equal(c.thread, GDB_THREAD_ALL);
	assert_int_equal(parse("Hx1").kind, GDB_CMD_INVALID);
	c = parse("vCont;s:2;c");
	assert_int_equal(c.kind, GDB_CMD_VCONT);
	assert_int_equal(c.step_thread, 2);
	assert_int_equal(c.op, 'c');
	c = parse("vCont;c");
	assert_int_equal(c.step_thread, 0);
	assert_int_equal(parse("vCont;t").kind, GDB_CMD_UNSUPPORTED);
	assert_int_equal(parse("vCont;s:zz").kind, GDB_CMD_INVALID);
	c = parse("c");
	assert_int_equal(c.kind, GDB_CMD_CONTINUE);
	assert_false(c.has_addr);
	c = parse("s1000");
	assert_int_equal(c.kind, GDB_CMD_STEP);
	assert_true(c.has_addr);
	assert_int_equal(c.addr, 0x1000);
	assert_int_equal(parse("T2").thread, 2);
}

static void test_parse_breakpoints_and_regs(void **state)
{
	(void)state;
	struct gdb_cmd c = parse("Z0,401000,1");
	assert_int_equal(c.kind, GDB_CMD_INSERT_BP);
	assert_int_equal(c.type, 0);
	assert_int_equal(c.addr, 0x401000);
	c = parse("z2,2000,8");
	assert_int_equal(c.kind, GDB_CMD_REMOVE_BP);
	assert_int_equal(c.type, 2);
	assert_int_equal(c.len, 8);
	assert_int_equal(parse("Z5,1,1").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("Z0,1").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("Z0,1,1;X1,0").kind, GDB_CMD_UNSUPPORTED);
	c = parse("p10");
	assert_int_equal(c.kind, GDB_CMD_READ_REG);
	assert_int_equal(c.regno, 16);
	c = parse("P0=0100000000000000");
	assert_int_equal(c.kind, GDB_CMD_WRITE_REG);
	assert_int_equal(c.data_len, 16);
	assert_int_equal(parse("P0").kind, GDB_CMD_INVALID);
}

static void test_parse_queries(void **state)
{
	(void)state;
	assert_int_equal(parse("qSupported:xmlRegisters=i386").kind, GDB_CMD_SUPPORTED);
	struct gdb_cmd c = parse("qXfer:features:read:target.xml:0,ffb");
	assert_int_equal(c.kind, GDB_CMD_XFER_FEATURES);
	assert_string_equal(c.data, "target.xml");
	assert_int_equal(c.len, 0xffb);
	c = parse("qRcmd,766d6373"); /* "vmcs" */
	assert_int_equal(c.kind, GDB_CMD_MONITOR);
	assert_string_equal(c.data, "vmcs");
	assert_int_equal(parse("qRcmd,766").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("qRcmd,0061").kind, GDB_CMD_INVALID); /* NUL in the text */
	assert_int_equal(parse("qfThreadInfo").kind, GDB_CMD_THREAD_FIRST);
	assert_int_equal(parse("qWhatever").kind, GDB_CMD_UNSUPPORTED);
	assert_int_equal(parse("?").kind, GDB_CMD_HALT_REASON);
	assert_int_equal(parse("?x").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("D").kind, GDB_CMD_DETACH);
	assert_int_equal(parse("D;1").kind, GDB_CMD_DETACH);
	c = parse("X10,1:a");
	assert_int_equal(c.kind, GDB_CMD_WRITE_MEM_BIN);
	assert_int_equal(c.addr, 0x10);
	assert_int_equal(c.len, 1);
	assert_int_equal(c.data_len, 1);
	assert_int_equal(c.data[0], 'a');
	char xnul[] = "X10,2:\0}";                             /* binary: a NUL is data */
	c = gdb_cmd_parse(xnul, 8);
	assert_int_equal(c.kind, GDB_CMD_WRITE_MEM_BIN);
	assert_int_equal(c.data_len, 2);
	assert_int_equal(parse("X10:a").kind, GDB_CMD_INVALID);
	assert_int_equal(parse("X10,ffffff:").kind, GDB_CMD_INVALID); /* longer than a packet */
	assert_int_equal(parse("QStartNoAckMode").kind, GDB_CMD_NO_ACK);
	assert_int_equal(parse("QStartNoAckModeX").kind, GDB_CMD_UNSUPPORTED);
	assert_int_equal(parse("QNonStop:1").kind, GDB_CMD_UNSUPPORTED);
	char nul[] = "m1\0,1";
	assert_int_equal(gdb_cmd_parse(nul, 5).kind, GDB_CMD_INVALID);
}

static void test_unescape_binary(void **state)
{
	(void)state;
	uint8_t out[8];
	assert_int_equal(gdb_unescape_binary("a}\x03}]}\x04}\n", 9, out, sizeof(out)), 5);
	assert_memory_equal(out, "a#}$*", 5);
	assert_int_equal(gdb_unescape_binary("ab}", 3, out, sizeof(out)), -1);      /* dangling escape */
	assert_int_equal(gdb_unescape_binary("123456789", 9, out, sizeof(out)), -1); /* too long */
	assert_int_equal(gdb_unescape_binary("", 0, out, sizeof(out)), 0);
}

static void test_regs_roundtrip(void **state)
{
	(void)state;
	struct gdb_regfile r = { 0 }, back = { 0 };
	static struct gdb_out o;
	r.val[GDB_REG_rax] = 0x1122334455667788ULL;
	r.val[GDB_REG_rip] = 0xdeadbeefULL;
	r.val[GDB_REG_eflags] = 0x202;
	r.val[GDB_REG_efer] = 0xd01;
	gdb_out_reset(&o);
	gdb_regs_pack(&r, &o);
	assert_false(o.overflow);
	assert_memory_equal(o.buf, "8877665544332211", 16);
	unsigned total = 0;
	for (unsigned i = 0; i < GDB_REG_COUNT; i++)
		total += 2 * gdb_reg_size(i);
	assert_int_equal(o.len, total);
	assert_true(gdb_regs_unpack(&back, o.buf, o.len));
	assert_memory_equal(back.val, r.val, sizeof(r.val));
	assert_true(back.dirty & (1ULL << GDB_REG_rax));
	assert_false(gdb_regs_unpack(&back, o.buf, o.len - 2));
	gdb_out_reset(&o);
	assert_true(gdb_reg_read(&r, GDB_REG_eflags, &o));
	assert_string_equal(o.buf, "02020000");
	gdb_out_reset(&o);
	assert_true(gdb_reg_read(&r, GDB_REG_st0, &o));
	assert_string_equal(o.buf, "xxxxxxxxxxxxxxxxxxxx");
	assert_true(gdb_reg_write(&r, GDB_REG_rbx, "0100000000000000", 16));
	assert_int_equal(r.val[GDB_REG_rbx], 1);
	assert_false(gdb_reg_write(&r, GDB_REG_rbx, "01", 2));
	assert_false(gdb_reg_write(&r, 200, "01", 2));
	assert_false(gdb_reg_write(&r, GDB_REG_rbx, "zz00000000000000", 16));
}

static void test_target_xml(void **state)
{
	(void)state;
	const char *x = gdb_target_xml();
	assert_non_null(strstr(x, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(x, "<feature name=\"org.gnu.gdb.i386.core\">"));
	assert_non_null(strstr(x, "name=\"efer\" bitsize=\"64\" regnum=\"63\""));
	assert_non_null(strstr(x, "name=\"fs_base\" bitsize=\"64\" regnum=\"57\""));
	static struct gdb_out o;
	gdb_out_reset(&o);
	assert_true(gdb_target_xml_slice("target.xml", 0, 10, &o));
	assert_int_equal(o.buf[0], 'm');
	assert_int_equal(o.len, 11);
	gdb_out_reset(&o);
	assert_true(gdb_target_xml_slice("target.xml", strlen(x) - 3, 100, &o));
	assert_string_equal(o.buf, "let>");
	gdb_out_reset(&o);
	assert_true(gdb_target_xml_slice("target.xml", 1u << 30, 100, &o));
	assert_string_equal(o.buf, "l");
	assert_false(gdb_target_xml_slice("other.xml", 0, 10, &o));
}

static void test_out_bounded(void **state)
{
	(void)state;
	static struct gdb_out o;
	gdb_out_reset(&o);
	gdb_out_num(&o, 0);
	gdb_out_num(&o, 0x1a2b);
	assert_string_equal(o.buf, "01a2b");
	for (unsigned i = 0; i < GDB_PACKET_MAX; i++)
		gdb_out_str(&o, "ab");
	assert_true(o.overflow);
	assert_true(o.len <= GDB_PACKET_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_frame_good_checksum, setup),
		cmocka_unit_test_setup(test_frame_bad_checksum_and_noise, setup),
		cmocka_unit_test_setup(test_frame_overflow_is_dropped, setup),
		cmocka_unit_test_setup(test_frame_escapes_reply, setup),
		cmocka_unit_test(test_parse_memory),
		cmocka_unit_test(test_parse_threads_and_resume),
		cmocka_unit_test(test_parse_breakpoints_and_regs),
		cmocka_unit_test(test_parse_queries),
		cmocka_unit_test(test_unescape_binary),
		cmocka_unit_test(test_regs_roundtrip),
		cmocka_unit_test(test_target_xml),
		cmocka_unit_test(test_out_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
