/* msg.c - names of message types and TLP levels. */
#include <string.h>

#include "parley/msg.h"
#include "banned.h"

static const char *const type_names[PARLEY_TYPE_MAX + 1] = {
	NULL,
	"notification",
	"request-for-information",
	"request-for-assistance",
	"consultation-request",
	"receipt",
	"acknowledgement",
	"response",
	"escalation",
	"close",
	"ping",
	"ping-response",
	"deadline-missed",
	"psi-request",
	"psi-response",
	"psi-refusal",
	"unreadable",
	"handover",
};

const char *parley_type_name(unsigned type)
{
	return type <= PARLEY_TYPE_MAX ? type_names[type] : NULL;
}

unsigned parley_type_from_name(const char *name)
{
	for (unsigned t = 1; t <= PARLEY_TYPE_MAX; t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return 0;
}

bool parley_type_opens_thread(unsigned type)
{
	return type >= PARLEY_T_NOTIFICATION && type <= PARLEY_T_CONSULTATION;
}

bool parley_type_is_psi(unsigned type)
{
	return type >= PARLEY_T_PSI_REQUEST && type <= PARLEY_T_PSI_REFUSAL;
}

static const char *const tlp_names[PARLEY_TLP_MAX + 1] = {
	"clear", "green", "amber", "amber+strict", "red",
};

const char *parley_tlp_name(unsigned tlp)
{
	return tlp <= PARLEY_TLP_MAX ? tlp_names[tlp] : NULL;
}

int parley_tlp_from_name(const char *name)
{
	for (int i = 0; i <= PARLEY_TLP_MAX; i++)
		if (strcmp(tlp_names[i], name) == 0)
			return i;
	return -1;
}
