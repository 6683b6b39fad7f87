/* mwsupctl.c — control client for mwsupd (placeholder until the control plane lands). */
#include "config.h"

#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "mwsupctl: not implemented yet\n");
	return 4;
}
