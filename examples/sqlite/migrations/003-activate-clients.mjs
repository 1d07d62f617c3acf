import { defineChangeUnit } from 'mongock';

/** Plain JavaScript, no decorators. */
export default defineChangeUnit({
  id: 'activate-clients',
  order: '003',
  author: 'examples',
  async execute({ sql }) {
    await sql.run("UPDATE clients SET status = 'active' WHERE status IS NULL");
  },
  async rollback({ sql }) {
    await sql.run('UPDATE clients SET status = NULL');
  },
});
