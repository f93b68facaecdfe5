/* bench/floor-pg.c: the floor of `upgrade check` on PostgreSQL for the scale
 * issue's goal: a C program that only opens the same connection (password,
 * scram) and reads alembic_version, nothing else. Built and run by
 * bench/upgrade-check-db.sh:  floor-pg HOST PORT USER PASSWORD DBNAME */
#include <stdio.h>

#include <libpq-fe.h>

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: floor-pg HOST PORT USER PASSWORD DBNAME\n");
		return 2;
	}
	const char *keys[] = { "host", "port", "user", "password", "dbname", "connect_timeout", NULL };
	const char *vals[] = { argv[1], argv[2], argv[3], argv[4], argv[5], "2", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "floor-pg: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	PGresult *r = PQexec(c, "SELECT version_num FROM alembic_version");
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (ok && PQntuples(r) > 0)
		printf("%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : 1;
}
