/* test_util.c - buffers, bounded reader, hex/base64, time. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"

static void test_buf_cap(void **state)
{
	(void)state;
	parley_buf b;
	parley_buf_init(&b, 8);
	assert_int_equal(parley_buf_add(&b, "12345678", 8), PARLEY_OK);
	assert_int_equal(parley_buf_add(&b, "9", 1), PARLEY_E_LIMIT);
	assert_int_equal(b.len, 8);
	assert_string_equal((char *)b.data, "12345678");
	parley_buf_reset(&b);
	assert_int_equal(parley_buf_addf(&b, "%d-%s", 42, "x"), PARLEY_OK);
	assert_string_equal((char *)b.data, "42-x");
	assert_int_equal(parley_buf_addf(&b, "%s", "too long now"), PARLEY_E_LIMIT);
	parley_buf_release(&b);
	assert_null(b.data);
}

static void test_buf_grow_secret(void **state)
{
	(void)state;
	parley_buf b = PARLEY_BUF_INIT;
	b.secret = 1;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(parley_buf_add_u32(&b, (uint32_t)i), PARLEY_OK);
	assert_int_equal(b.len, 4000);
	assert_int_equal(parley_get_u32(b.data + 4 * 999), 999);
	parley_buf_release(&b);
}

static void test_reader_bounds(void **state)
{
	(void)state;
	uint8_t d[10] = { 0, 0, 0, 0, 0, 0, 0, 42, 1, 2 };
	parley_rd r;
	uint64_t v;
	uint32_t w;
	uint8_t x;
	parley_rd_init(&r, d, sizeof(d));
	assert_true(parley_rd_u64(&r, &v));
	assert_int_equal(v, 42);
	assert_false(parley_rd_u32(&r, &w)); /* only 2 left: nothing consumed */
	assert_int_equal(r.left, 2);
	assert_true(parley_rd_u8(&r, &x));
	assert_int_equal(x, 1);
	assert_true(parley_rd_u8(&r, &x));
	assert_false(parley_rd_u8(&r, &x));
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t b[3];
	char h[7];
	assert_int_equal(parley_unhex(b, 3, "00fFa1", 6), PARLEY_OK);
	parley_hex(h, b, 3);
	assert_string_equal(h, "00ffa1");
	assert_int_equal(parley_unhex(b, 3, "00ffa", 5), PARLEY_E_FORMAT);
	assert_int_equal(parley_unhex(b, 3, "00ffag", 6), PARLEY_E_FORMAT);
	assert_int_equal(parley_unhex(b, 3, "00 fa1", 6), PARLEY_E_FORMAT);
}

static void test_b64_canonical(void **state)
{
	(void)state;
	uint8_t b[8];
	size_t n = 0;
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "aGk=", 4), PARLEY_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "hi", 2);
	/* non-zero unused bits: not canonical */
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "aGl=", 4), PARLEY_E_FORMAT);
	/* padding required, no whitespace, no url alphabet */
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "aGk", 3), PARLEY_E_FORMAT);
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "aG k", 4), PARLEY_E_FORMAT);
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "-_8=", 4), PARLEY_E_FORMAT);
	assert_int_equal(parley_unb64(b, sizeof(b), &n, "", 0), PARLEY_E_FORMAT);
	/* too long for the output */
	assert_int_equal(parley_unb64(b, 2, &n, "AAAAAAAA", 8), PARLEY_E_FORMAT);
}

static void test_time(void **state)
{
	(void)state;
	int64_t t;
	char s[21];
	assert_int_equal(parley_time_parse("1970-01-01T00:00:00Z", &t), PARLEY_OK);
	assert_int_equal(t, 0);
	assert_int_equal(parley_time_parse("2024-02-29T12:34:56Z", &t), PARLEY_OK);
	assert_int_equal(t, 1709210096);
	parley_time_fmt(s, t);
	assert_string_equal(s, "2024-02-29T12:34:56Z");
	assert_int_equal(parley_time_parse("2023-02-29T00:00:00Z", &t), PARLEY_E_FORMAT);
	assert_int_equal(parley_time_parse("2023-13-01T00:00:00Z", &t), PARLEY_E_FORMAT);
	assert_int_equal(parley_time_parse("2023-01-01 00:00:00Z", &t), PARLEY_E_FORMAT);
	assert_int_equal(parley_time_parse("2023-01-01T00:00:00+01:00", &t), PARLEY_E_FORMAT);
	assert_int_equal(parley_time_parse("2023-01-01T24:00:00Z", &t), PARLEY_E_FORMAT);
}

static void test_file_roundtrip(void **state)
{
	(void)state;
	char path[] = "/tmp/parley-test-util-XXXXXX";
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(parley_file_write(path, "hello", 5, 0600, true, &err), PARLEY_OK);
	assert_int_equal(parley_file_write(path, "again", 5, 0600, true, &err), PARLEY_E_IO);
	assert_int_equal(parley_file_read(path, 5, &b, &err), PARLEY_OK);
	assert_int_equal(b.len, 5);
	assert_int_equal(parley_file_read(path, 4, &b, &err), PARLEY_E_LIMIT);
	assert_int_equal(parley_file_write(path, "replaced", 8, 0600, false, &err), PARLEY_OK);
	assert_int_equal(parley_file_read(path, 100, &b, &err), PARLEY_OK);
	assert_string_equal((char *)b.data, "replaced");
	unlink(path);
	assert_int_equal(parley_file_read(path, 100, &b, &err), PARLEY_E_NOTFOUND);
	parley_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_grow_secret),
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_b64_canonical),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_file_roundtrip),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
