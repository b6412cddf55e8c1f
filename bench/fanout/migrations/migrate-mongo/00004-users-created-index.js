// The same command as ../ours/00004-users-created-index.json, through the driver.
module.exports = {
  async up(db) { await db.collection("users").createIndex({ createdAt: -1 }, { name: "createdAt_-1" }); },
  async down(db) { await db.collection("users").dropIndex("createdAt_-1"); },
};
