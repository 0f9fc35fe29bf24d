/* msg.h - message types and TLP levels: numbers on the wire, names in charters and output. */
#ifndef PARLEY_MSG_H
#define PARLEY_MSG_H

#include <stdbool.h>
#include <stdint.h>

/* Message types. The numbers are the entry's type byte and never change. */
enum parley_type {
	PARLEY_T_NOTIFICATION = 1,
	PARLEY_T_REQUEST_INFO = 2,       /* request-for-information */
	PARLEY_T_REQUEST_ASSIST = 3,     /* request-for-assistance */
	PARLEY_T_CONSULTATION = 4,       /* consultation-request */
	PARLEY_T_RECEIPT = 5,            /* automatic: a node received and decrypted it */
	PARLEY_T_ACK = 6,                /* acknowledgement: a person has read it */
	PARLEY_T_RESPONSE = 7,           /* response / status update */
	PARLEY_T_ESCALATION = 8,
	PARLEY_T_CLOSE = 9,
	PARLEY_T_PING = 10,
	PARLEY_T_PING_RESPONSE = 11,
	PARLEY_T_DEADLINE_MISSED = 12,
	PARLEY_T_PSI_REQUEST = 13,
	PARLEY_T_PSI_RESPONSE = 14,
	PARLEY_T_PSI_REFUSAL = 15,
	PARLEY_T_UNREADABLE = 16,        /* automatic: a node could not open an entry sealed to it */
	PARLEY_T_HANDOVER = 17           /* a party hands the channel over to a successor charter */
};
#define PARLEY_TYPE_MAX 17
/*
 * The types a new charter lists when none are given: bits 1..15. unreadable
 * comes with receipt (parley_charter_allows_type), so it is not listed and
 * charters written before it existed keep their bytes and id.
 */
#define PARLEY_TYPES_ALL (((uint32_t)1 << (PARLEY_T_PSI_REFUSAL + 1)) - 2)

/* "notification", "request-for-information", ...; NULL for an unknown number. */
const char *parley_type_name(unsigned type);
/* 0 when the name is not a message type. */
unsigned parley_type_from_name(const char *name);
/* True for the types that open a thread (notification and the requests). */
bool parley_type_opens_thread(unsigned type);
/* True for psi-request, psi-response and psi-refusal. */
bool parley_type_is_psi(unsigned type);

/* Traffic Light Protocol 2.0 levels. */
enum parley_tlp {
	PARLEY_TLP_CLEAR = 0,
	PARLEY_TLP_GREEN = 1,
	PARLEY_TLP_AMBER = 2,
	PARLEY_TLP_AMBER_STRICT = 3,
	PARLEY_TLP_RED = 4
};
#define PARLEY_TLP_MAX 4

/* "clear", "green", "amber", "amber+strict", "red"; NULL when unknown. */
const char *parley_tlp_name(unsigned tlp);
/* -1 when the name is not a TLP level. */
int parley_tlp_from_name(const char *name);

#endif
