/* replay.c - runs a fuzz harness over files (a corpus) without libFuzzer: regression tests in make check. */
#include <stdio.h>
#include <stdlib.h>

#include "parley/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		parley_buf b = PARLEY_BUF_INIT;
		parley_err err = { 0 };
		if (parley_file_read(argv[i], (size_t)1 << 24, &b, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		LLVMFuzzerTestOneInput(b.data ? b.data : (const uint8_t *)"", b.len);
		parley_buf_release(&b);
		n++;
	}
	printf("replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
